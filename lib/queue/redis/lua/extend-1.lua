-- extend: moves the deadline of a lease that is still held to Redis now + ARGV[2]. Running it
-- twice (a re-sent call) only moves the deadline again.
--
-- KEYS[1] lease deadlines sorted set ({q}:leases), receipt -> deadline ms
-- ARGV[1] receipt
-- ARGV[2] new lease length in ms, from now
-- Returns: 1 when extended, 0 when the receipt is stale

-- @include "clock"

local now_ms = server_now()
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], string.format('%.0f', now_ms + tonumber(ARGV[2])), ARGV[1])
return 1

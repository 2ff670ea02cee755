-- extend: moves the deadline of a lease that is still held to Redis now + ARGV[2]. Running it
-- twice (a re-sent call) only moves the deadline again.
--
-- KEYS[1] in-flight hash ({q}:inflight), id -> receipt \n flag position \n record
-- KEYS[2] lease deadlines sorted set ({q}:leases)
-- ARGV[1] receipt
-- ARGV[2] new lease length in ms, from now
-- Returns: 1 when extended, 0 when the receipt is stale

-- @include "records"
-- @include "held"

local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local held = held_receipts(KEYS[1], { ARGV[1] })
if #held == 0 then return 0 end
redis.call('ZADD', KEYS[2], fmt(now_ms + tonumber(ARGV[2])), held[1])
return 1

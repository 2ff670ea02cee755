-- extend: moves the deadline of a lease that is still held to Redis now + ARGV[2].
--
-- KEYS[1] in-flight hash ({q}:inflight), id -> receipt .. '\n' .. record
-- KEYS[2] lease deadlines sorted set ({q}:leases)
-- ARGV[1] receipt
-- ARGV[2] new lease length in ms, from now
-- Returns: 1 when extended, 0 when the receipt is stale

local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local receipt = ARGV[1]
local id = string.match(receipt, '^(%d+):')
local held = id and redis.call('HGET', KEYS[1], id)
if held and string.sub(held, 1, #receipt + 1) == receipt .. '\n' then
  redis.call('ZADD', KEYS[2], now_ms + tonumber(ARGV[2]), id)
  return 1
end
return 0

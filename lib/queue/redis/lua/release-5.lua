-- release: gives leased messages back: at once to the FRONT of ready, or after a delay via the
-- delayed set. The receive count stays as it is (the failed delivery counted).
--
-- KEYS[1] ready list ({q}:ready)
-- KEYS[2] in-flight hash ({q}:inflight), id -> receipt .. '\n' .. record
-- KEYS[3] lease deadlines sorted set ({q}:leases)
-- KEYS[4] delayed sorted set ({q}:delayed)
-- KEYS[5] sharded pub/sub channel ({q}:signal), not a key; passed here for cluster routing
-- ARGV[1] delay in ms (0: visible at once)
-- ARGV[2..n] receipts; when several are released at once they end up at the front in this order
-- Returns: the stale receipts

local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local delay = tonumber(ARGV[1])
local stale = {}
local front = {}
for i = 2, #ARGV do
  local receipt = ARGV[i]
  local id = string.match(receipt, '^(%d+):')
  local held = id and redis.call('HGET', KEYS[2], id)
  if held and string.sub(held, 1, #receipt + 1) == receipt .. '\n' then
    redis.call('HDEL', KEYS[2], id)
    redis.call('ZREM', KEYS[3], id)
    local record = string.sub(held, #receipt + 2)
    if delay > 0 then
      redis.call('ZADD', KEYS[4], now_ms + delay, record)
    else
      front[#front + 1] = record
    end
  else
    stale[#stale + 1] = receipt
  end
end
for i = #front, 1, -1 do
  redis.call('LPUSH', KEYS[1], front[i])
end
if #front > 0 then
  redis.call('SPUBLISH', KEYS[5], '1')
end
return stale

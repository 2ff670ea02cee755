-- peek: up to ARGV[1] ready messages from the front, without leasing them.
--
-- KEYS[1] ready list ({q}:ready)
-- KEYS[2] staging list ({q}:staging)
-- KEYS[3] legacy list (bare queue name)
-- ARGV[1] count
-- Returns: { ready records 'id|enqueuedMs|receiveCount|body', raw legacy bodies (staging first) }

local count = tonumber(ARGV[1])
local records = redis.call('LRANGE', KEYS[1], 0, count - 1)
local raw = {}
local left = count - #records
if left > 0 then
  raw = redis.call('LRANGE', KEYS[2], 0, left - 1)
  left = left - #raw
end
if left > 0 then
  local legacy = redis.call('LRANGE', KEYS[3], 0, left - 1)
  for i = 1, #legacy do raw[#raw + 1] = legacy[i] end
end
return { records, raw }

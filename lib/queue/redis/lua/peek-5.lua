-- peek: up to ARGV[1] deliverable messages from the front, in delivery order, without leasing.
--
-- KEYS[1] due sorted set ({q}:due), padded record -> position ms
-- KEYS[2] ready list ({q}:ready)
-- KEYS[3] staging list ({q}:staging)
-- KEYS[4] legacy list (bare queue name)
-- KEYS[5] queue clock ({q}:clock)
-- ARGV[1] count
-- Returns: { records 'id|enqueuedMs|receiveCount|body', raw legacy bodies (staging first) }

-- @include "records"
-- @include "clock"
-- @include "front"

local now_ms = queue_now(KEYS[5])
local count = tonumber(ARGV[1])
local entries = front(KEYS[1], KEYS[2], now_ms, count, false)
local records = {}
for i = 1, #entries do records[i] = entries[i][1] end
local raw = {}
local left = count - #records
for _, key in ipairs({ KEYS[3], KEYS[4] }) do
  if left > 0 then
    local items = redis.call('LRANGE', key, 0, left - 1)
    for i = 1, #items do
      local item = items[i]
      if string.byte(item, 1) == 0 then item = string.sub(item, 2) end
      raw[#raw + 1] = item
    end
    left = left - #items
  end
end
return { records, raw }

-- claim: turns prefetched messages into leases as they are handed to a callback: the delivery
-- now counts towards maxReceiveCount and the lease runs the full visibility timeout. Running it
-- twice changes nothing more (a claimed entry is a lease already).
--
-- KEYS[1] in-flight hash ({q}:inflight), id -> receipt \n flag position \n record
-- KEYS[2] lease deadlines sorted set ({q}:leases)
-- ARGV[1] visibility timeout in ms
-- ARGV[2..n] receipts of prefetched messages
-- Returns: the stale receipts (the prefetch ran out before the claim arrived)

-- @include "records"
-- @include "held"

local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local receipts = {}
for i = 2, #ARGV do receipts[#receipts + 1] = ARGV[i] end
local held, values, stale = held_receipts(KEYS[1], receipts)
if #held > 0 then
  local entries, deadlines = {}, {}
  local deadline = fmt(now_ms + tonumber(ARGV[1]))
  for i = 1, #values do
    local receipt, flag, position, record = split_held(values[i])
    if flag == 'P' then
      local count = tonumber(string.match(receipt, '^%d+:(%d+):'))
      entries[#entries + 1] = held[i]
      entries[#entries + 1] = receipt .. '\nL' .. fmt(position) .. '\n' .. with_count(record, count)
      deadlines[#deadlines + 1] = deadline
      deadlines[#deadlines + 1] = held[i]
    end
  end
  if #entries > 0 then
    sliced('HSET', KEYS[1], entries, 1000)
    sliced('ZADD', KEYS[2], deadlines, 1000)
  end
end
return stale

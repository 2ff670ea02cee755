-- claim: turns prefetched messages into leases as they are handed to a callback: the delivery
-- now counts towards maxReceiveCount and the lease runs the full visibility timeout. Running it
-- twice changes nothing more (a claimed message is no prefetch any more).
--
-- KEYS[1] lease deadlines sorted set ({q}:leases), receipt -> deadline ms
-- KEYS[2] prefetches not claimed yet ({q}:prefetched), set of ids
-- ARGV[1] visibility timeout in ms
-- ARGV[2..n] receipts of prefetched messages
-- Returns: the stale receipts (the prefetch ran out before the claim arrived)

-- @include "records"
-- @include "held"

local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local deadline = fmt(now_ms + tonumber(ARGV[1]))
if #ARGV == 2 then
  -- One receipt (a lone consumer): the prefetch set holds an id only while a prefetch of it is in
  -- flight (every way out of flight removes it), so removing the id is the check, and ZADD XX CH
  -- says whether this very receipt still holds the lease; a mark taken from another consumer's
  -- newer prefetch of the same message is put back.
  local receipt = ARGV[2]
  local id = receipt_parts(receipt)
  if not id or redis.call('SREM', KEYS[2], id) == 0 then return { receipt } end
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', deadline, receipt) == 0 and not redis.call('ZSCORE', KEYS[1], receipt) then
    redis.call('SADD', KEYS[2], id)
    return { receipt }
  end
  return {}
end

local receipts = {}
for i = 2, #ARGV do receipts[#receipts + 1] = ARGV[i] end
local held, ids, stale = held_receipts(KEYS[1], receipts)
if #held == 0 then return stale end
local unclaimed = sliced('SMISMEMBER', KEYS[2], ids, 1000)
local deadlines, claimed = {}, {}
for i = 1, #held do
  if unclaimed[i] == 1 then
    deadlines[#deadlines + 1] = deadline
    deadlines[#deadlines + 1] = held[i]
    claimed[#claimed + 1] = ids[i]
  else
    stale[#stale + 1] = held[i]
  end
end
if #claimed > 0 then
  sliced('SREM', KEYS[2], claimed, 1000)
  sliced('ZADD', KEYS[1], deadlines, 1000)
end
return stale

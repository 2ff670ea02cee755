-- release: gives leased messages back. At once, a message returns to its original position, so
-- it is delivered before anything pushed after it (several released at once keep their order);
-- with a delay, it re-enters the order at the time it falls due, as a delayed push does. A
-- lease counts as a delivery (receive count kept); a prefetch that was never claimed does not, nor
-- (with ARGV[4] = 1) a prefetch claimed ahead that no callback was handed.
--
-- KEYS[1] due sorted set ({q}:due), padded record -> position ms
-- KEYS[2] in-flight hash ({q}:inflight), id -> record as leased
-- KEYS[3] lease deadlines sorted set ({q}:leases), receipt -> deadline ms
-- KEYS[4] prefetches not claimed yet ({q}:prefetched), set of ids
-- KEYS[5] queue clock ({q}:clock)
-- KEYS[6] reply cache of the calling session ({q}:replies:<session>)
-- KEYS[7] sharded pub/sub channel ({q}:signal), not a key; passed here for cluster routing
-- ARGV[1] call number within the session
-- ARGV[2] call numbers whose replies the session has received (comma-separated, may be empty)
-- ARGV[3] delay in ms (0: visible at once)
-- ARGV[4] 1: none of these deliveries reached a callback (their receive counts go back), else 0
-- ARGV[5..n] receipts
-- Returns: the stale receipts (a re-sent call answers the first run's list)

-- @include "records"
-- @include "replies"
-- @include "clock"
-- @include "held"

local cached = replies_lookup(KEYS[6], ARGV[1], ARGV[2])
if cached then return split_receipts(cached) end

local now_ms = queue_now(KEYS[5])
local delay = tonumber(ARGV[3])
local unseen = ARGV[4] == '1'
local receipts = {}
for i = 5, #ARGV do receipts[#receipts + 1] = ARGV[i] end
local held, ids, stale = held_receipts(KEYS[3], receipts)
if #held > 0 then
  local records = sliced('HMGET', KEYS[2], ids, 1000)
  local unclaimed = prefetched_flags(KEYS[4], ids)
  local due = {}
  for i = 1, #held do
    if records[i] then
      local _, count, position = receipt_parts(held[i])
      if unseen or unclaimed[i] == 1 then count = count - 1 end
      due[#due + 1] = delay > 0 and fmt(now_ms + delay) or position
      due[#due + 1] = due_member(records[i], count)
    end
  end
  leave_flight(KEYS[2], KEYS[3], KEYS[4], nil, held, ids, false)
  if #due > 0 then sliced('ZADD', KEYS[1], due, 1000) end
  redis.call('SPUBLISH', KEYS[7], tostring(math.max(delay, 0)))
end
replies_remember(KEYS[6], ARGV[1], table.concat(stale, ','))
return stale

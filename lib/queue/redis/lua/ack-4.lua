-- ack: removes leased messages whose receipts are still current.
--
-- KEYS[1] in-flight hash ({q}:inflight), id -> receipt \n flag position \n record
-- KEYS[2] lease deadlines sorted set ({q}:leases)
-- KEYS[3] age index ({q}:ages)
-- KEYS[4] reply cache of the calling session ({q}:replies:<session>)
-- ARGV[1] call number within the session
-- ARGV[2] call numbers whose replies the session has received (comma-separated, may be empty)
-- ARGV[3..n] receipts 'id:receiveCount:leaseTag'
-- Returns: the stale receipts (lease lost to a redelivery, or already settled); a re-sent call
--          answers the first run's list, so an ack that took effect reports success

-- @include "records"
-- @include "replies"
-- @include "held"

local cached = replies_lookup(KEYS[4], ARGV[1], ARGV[2])
if cached then
  local stale = {}
  for receipt in string.gmatch(cached, '[^,]+') do stale[#stale + 1] = receipt end
  return stale
end

local receipts = {}
for i = 3, #ARGV do receipts[#receipts + 1] = ARGV[i] end
local held, _, stale = held_receipts(KEYS[1], receipts)
settle_held(KEYS[1], KEYS[2], KEYS[3], held)
replies_remember(KEYS[4], ARGV[1], table.concat(stale, ','))
return stale

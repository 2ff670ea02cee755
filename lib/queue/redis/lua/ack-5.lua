-- ack: removes leased messages whose receipts are still current.
--
-- KEYS[1] in-flight hash ({q}:inflight), id -> record as leased
-- KEYS[2] lease deadlines sorted set ({q}:leases), receipt -> deadline ms
-- KEYS[3] prefetches not claimed yet ({q}:prefetched), set of ids
-- KEYS[4] age index ({q}:ages)
-- KEYS[5] reply cache of the calling session ({q}:replies:<session>)
-- ARGV[1] call number within the session
-- ARGV[2] call numbers whose replies the session has received (comma-separated, may be empty)
-- ARGV[3..n] receipts 'id:receiveCount:leaseTag:position'
-- Returns: the stale receipts (lease lost to a redelivery, or already settled); a re-sent call
--          answers the first run's list, so an ack that took effect reports success

-- @include "records"
-- @include "replies"
-- @include "held"

local cached = replies_lookup(KEYS[5], ARGV[1], ARGV[2])
if cached then return split_receipts(cached) end

local receipts = {}
for i = 3, #ARGV do receipts[#receipts + 1] = ARGV[i] end
local held, ids, stale = held_receipts(KEYS[2], receipts)
leave_flight(KEYS[1], KEYS[2], KEYS[3], KEYS[4], held, ids, true)
replies_remember(KEYS[5], ARGV[1], table.concat(stale, ','))
return stale

-- partition-ack: the fenced ack of a partition's messages. Refused (every receipt answered stale)
-- once the partition has another owner or token: the new owner's first lease returned whatever
-- the old one held to its place, and the old owner must not remove a message the new one may be
-- delivering. An owner whose partition lease ran out but that nobody claimed since still acks.
--
-- KEYS[1] in-flight hash ({q#p}:inflight), id -> record as leased
-- KEYS[2] lease deadlines sorted set ({q#p}:leases), receipt -> deadline ms
-- KEYS[3] prefetches not claimed yet ({q#p}:prefetched)
-- KEYS[4] age index ({q#p}:ages)
-- KEYS[5] partition owner hash ({q#p}:owner)
-- KEYS[6] reply cache of the calling session ({q#p}:replies:<session>)
-- ARGV[1] call number within the session
-- ARGV[2] call numbers whose replies the session has received (comma-separated, may be empty)
-- ARGV[3] consumer id
-- ARGV[4] fencing token
-- ARGV[5..n] receipts 'id:receiveCount:leaseTag:position'
-- Returns: the stale receipts (all of them when fenced); a re-sent call answers the first run's

-- @include "records"
-- @include "replies"
-- @include "held"

local cached = replies_lookup(KEYS[6], ARGV[1], ARGV[2])
if cached then return split_receipts(cached) end

local receipts = {}
for i = 5, #ARGV do receipts[#receipts + 1] = ARGV[i] end
local owner = redis.call('HMGET', KEYS[5], 'owner', 'token')
local stale
if owner[1] ~= ARGV[3] or owner[2] ~= ARGV[4] then
  stale = receipts
else
  local held, ids
  held, ids, stale = held_receipts(KEYS[2], receipts)
  leave_flight(KEYS[1], KEYS[2], KEYS[3], KEYS[4], held, ids, true)
end
replies_remember(KEYS[6], ARGV[1], table.concat(stale, ','))
return stale

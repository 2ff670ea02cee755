-- partition-lease: the fenced lease of one partition of a partitioned queue (lib/queue/partitions),
-- with the fenced ack of the batch before it (so a consumer in its steady state costs one call per
-- batch, as lease-12 does for an ordinary queue). The acks come first and are refused (every
-- receipt answered stale) once the partition has another owner or token, as partition-ack's are;
-- an owner whose partition lease ran out but that nobody claimed since still acks. Leases only for the partition's current owner (consumer id and fencing token, lease running on
-- Redis time), and only while nothing of the partition is in flight: the messages of one
-- partition are handed out one (or one in-order batch) at a time, so that a redelivery can never
-- be overtaken by a later message of the same key. Before it looks at what is in flight:
--   - messages leased under an older token (the partition changed owner: the previous owner died,
--     froze or lost its lease) go back to the due set at their original position at once, since
--     their owner can no longer ack them (partition-ack is fenced too);
--   - the current owner's leases that ran out go back the same way.
-- A message returned after its maxReceiveCount-th delivery is dead-lettered instead, as is one at
-- the front that has had them all. Partition queues are never prefetched.
--
-- KEYS[1] legacy list (bare partition queue name, 'q#p')
-- KEYS[2] staging list ({q#p}:staging)
-- KEYS[3] ready list ({q#p}:ready), records 'id|enqueuedMs|receiveCount|body'
-- KEYS[4] due sorted set ({q#p}:due), padded record -> position ms
-- KEYS[5] in-flight hash ({q#p}:inflight), id -> record as leased
-- KEYS[6] lease deadlines sorted set ({q#p}:leases), receipt -> deadline ms
-- KEYS[7] prefetches not claimed yet ({q#p}:prefetched), always empty here
-- KEYS[8] age index ({q#p}:ages), id -> enqueue ms
-- KEYS[9] dead-letter sorted set ({q#p}:dead), record -> id
-- KEYS[10] id counter ({q#p}:seq)
-- KEYS[11] queue clock ({q#p}:clock)
-- KEYS[12] partition owner hash ({q#p}:owner): owner, token, deadline, leased_by
-- KEYS[13] reply cache of the calling session ({q#p}:replies:<session>)
-- ARGV[1] call number within the session
-- ARGV[2] call numbers whose replies the session has received (comma-separated, may be empty)
-- ARGV[3] consumer id
-- ARGV[4] fencing token
-- ARGV[5] max messages to lease (an in-order batch)
-- ARGV[6] visibility timeout in ms
-- ARGV[7] maxReceiveCount
-- ARGV[8] housekeeping bound (legacy elements absorbed per call)
-- ARGV[9..n] receipts to ack first 'id:receiveCount:leaseTag:position' (the previous batch's)
-- Returns: { status, { receipt1, record1, ... }, { stale receipts among the acks } } where status is 'ok' (possibly none leased: the
--          partition is empty), 'fenced' (the caller is not the partition's live owner), 'busy'
--          (an earlier message of the partition is still in flight) or 'more' (only dead letters
--          were at the front: call again). A re-sent call answers the first run's status and
--          those of its deliveries that are still held, and its stale receipts.

-- @include "records"
-- @include "replies"
-- @include "clock"
-- @include "held"
-- @include "absorb"
-- @include "front"

local cached = replies_lookup(KEYS[13], ARGV[1], ARGV[2])
if cached then
  local status, leased_part, stale_part = string.match(cached, '^(%a+)|([^|]*)|(.*)$')
  return { status, still_held(KEYS[6], KEYS[5], split_receipts(leased_part)), split_receipts(stale_part) }
end

local stale = {}
local function answer(status, leased, receipts)
  replies_remember(KEYS[13], ARGV[1], status .. '|' .. table.concat(receipts, ',') .. '|' .. table.concat(stale, ','))
  return { status, leased, stale }
end

local now_ms, time = server_now()
local me, token = ARGV[3], ARGV[4]
local max = tonumber(ARGV[5])
local visibility = tonumber(ARGV[6])
local max_receive = tonumber(ARGV[7])
local bound = tonumber(ARGV[8])

local owner = redis.call('HMGET', KEYS[12], 'owner', 'token', 'deadline', 'leased_by')
local acks = {}
for i = 9, #ARGV do acks[#acks + 1] = ARGV[i] end
if owner[1] ~= me or owner[2] ~= token then
  stale = acks
elseif #acks > 0 then
  local acked, ids
  acked, ids, stale = held_receipts(KEYS[6], acks)
  leave_flight(KEYS[5], KEYS[6], KEYS[7], KEYS[8], acked, ids, true)
end
if owner[1] ~= me or owner[2] ~= token or tonumber(owner[3]) <= now_ms then return answer('fenced', {}, {}) end

-- Leases to return: all of them when they were taken under another token, else the expired ones.
-- At most `max` of an earlier call are in flight, so no bound is needed here.
if redis.call('HLEN', KEYS[5]) > 0 then
  local returning
  if owner[4] ~= token then
    returning = redis.call('ZRANGE', KEYS[6], 0, -1)
  else
    returning = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now_ms)
  end
  if #returning > 0 then return_leases(KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], returning, max_receive) end
  if redis.call('HLEN', KEYS[5]) > 0 then return answer('busy', {}, {}) end
end

absorb(KEYS[2], KEYS[1], KEYS[3], KEYS[10], KEYS[11], now_ms, bound)

local lease_tag = time[1] .. string.format('%06d', tonumber(time[2]))
local lease_deadline = fmt(now_ms + visibility)
local entries = front(KEYS[4], KEYS[3], now_ms, max, true)
local leased, receipts, held, ages, deadlines, dead, dead_ids = {}, {}, {}, {}, {}, {}, {}
for k = 1, #entries do
  local record, position, from_due_set = entries[k][1], entries[k][2], entries[k][3]
  local id, enqueued, count = parse(record)
  if from_due_set then id = fmt(tonumber(id)) end
  if count >= max_receive then
    dead[#dead + 1] = id
    dead[#dead + 1] = with_count(record, count)
    if from_due_set then dead_ids[#dead_ids + 1] = id end
  elseif #dead > 0 then
    -- A dead letter came first: put this one back at its place and let the caller call again,
    -- so that a batch never skips a message it did not hand out.
    redis.call('ZADD', KEYS[4], position, from_due_set and record or due_member(record, count))
    if not from_due_set then redis.call('ZADD', KEYS[8], enqueued, id) end
  else
    local receipt = id .. ':' .. (count + 1) .. ':' .. lease_tag .. ':' .. position
    deadlines[#deadlines + 1] = lease_deadline
    deadlines[#deadlines + 1] = receipt
    held[#held + 1] = id
    held[#held + 1] = record
    if not from_due_set then
      ages[#ages + 1] = enqueued
      ages[#ages + 1] = id
    end
    leased[#leased + 1] = receipt
    leased[#leased + 1] = record
    receipts[#receipts + 1] = receipt
  end
end
if #held > 0 then
  sliced('HSET', KEYS[5], held, 1000)
  sliced('ZADD', KEYS[6], deadlines, 1000)
  redis.call('HSET', KEYS[12], 'leased_by', token)
end
if #ages > 0 then sliced('ZADD', KEYS[8], ages, 1000) end
if #dead > 0 then
  sliced('ZADD', KEYS[9], dead, 1000)
  if #dead_ids > 0 then sliced('ZREM', KEYS[8], dead_ids, 1000) end
  if #held == 0 then return answer('more', {}, {}) end
end
return answer('ok', leased, receipts)

-- lease: acks the piggybacked receipts, does bounded housekeeping, then leases up to N messages
-- from the front of the queue (and prefetches up to P more, see below). Housekeeping:
--   1. expired leases go back to the due set at their original position, so they are the next
--      ones delivered (before anything pushed after them); a lease already delivered
--      maxReceiveCount times goes to dead instead. When more leases expired than the bound, this
--      call leases nothing and answers more = 1: the caller calls again at once, so that no
--      message overtakes an expired one whatever their number;
--   2. waiting legacy elements are absorbed (bounded; they enter the order when first seen).
-- A message at the front already delivered maxReceiveCount times is dead-lettered, not leased
-- (then more = 1 too, since fewer than N may have been leased while others wait).
-- A prefetched message is leased for a short time without counting a delivery: the caller
-- claims it (in a later call's claims: ahead of handing it to a callback, or as it does) and then
-- it counts and its lease runs the full visibility timeout; an unclaimed one returns to its place
-- with its count unchanged when that short lease runs out. Claims and acks are checked against
-- the lease set together, and a claimed lease's new deadline is written with the new leases.
--
-- KEYS[1] legacy list (bare queue name)
-- KEYS[2] staging list ({q}:staging)
-- KEYS[3] ready list ({q}:ready), records 'id|enqueuedMs|receiveCount|body'
-- KEYS[4] due sorted set ({q}:due), padded record -> position ms
-- KEYS[5] in-flight hash ({q}:inflight), id -> record as leased
-- KEYS[6] lease deadlines sorted set ({q}:leases), receipt -> deadline ms
-- KEYS[7] prefetches not claimed yet ({q}:prefetched), set of ids
-- KEYS[8] age index ({q}:ages), id -> enqueue ms
-- KEYS[9] dead-letter sorted set ({q}:dead), record -> id
-- KEYS[10] id counter ({q}:seq)
-- KEYS[11] queue clock ({q}:clock)
-- KEYS[12] reply cache of the calling session ({q}:replies:<session>)
-- ARGV[1] call number within the session
-- ARGV[2] call numbers whose replies the session has received (comma-separated, may be empty)
-- ARGV[3] max messages to lease (0 allowed: ack and housekeeping only)
-- ARGV[4] max messages to prefetch after those
-- ARGV[5] visibility timeout in ms
-- ARGV[6] prefetch lease in ms
-- ARGV[7] maxReceiveCount
-- ARGV[8] housekeeping bound per step
-- ARGV[9] number c of prefetched receipts to claim
-- ARGV[10..9+c] prefetched receipts to claim first
-- ARGV[10+c..n] receipts to ack (after the claims)
-- Returns: { stale receipts among the acks, { receipt1, record1, receipt2, record2, ... }, more }
--          where a delivery's receive count is in its receipt ('id:receiveCount:leaseTag:position')
--          and the record's id may be zero-padded; the prefetched ones come last, ARGV[4] at
--          most. A re-sent call answers the first run's stale receipts and those of its
--          deliveries that are still held.

-- @include "records"
-- @include "replies"
-- @include "clock"
-- @include "held"
-- @include "absorb"
-- @include "front"

local cached = replies_lookup(KEYS[12], ARGV[1], ARGV[2])
if cached then
  local stale_part, leased_part, more_part = string.match(cached, '^([^|]*)|([^|]*)|(%d)$')
  local stale = split_receipts(stale_part)
  local leased = still_held(KEYS[6], KEYS[5], split_receipts(leased_part))
  return { stale, leased, tonumber(more_part) }
end

local now_ms, time = server_now()
local lease_tag = time[1] .. string.format('%06d', tonumber(time[2]))
local max = tonumber(ARGV[3])
local prefetch = tonumber(ARGV[4])
local visibility = tonumber(ARGV[5])
local prefetch_ms = tonumber(ARGV[6])
local max_receive = tonumber(ARGV[7])
local bound = tonumber(ARGV[8])
local more = 0

-- 0. claims and piggybacked acks, their leases checked in one round. A claim of a receipt that
-- holds no lease any more (its short prefetch lease ran out first) is left alone; a claimed one
-- counts from now on, and its new deadline is written with the new leases below.
local claim_count = tonumber(ARGV[9])
local given = {}
for i = 10, #ARGV do given[#given + 1] = ARGV[i] end
local scores = lease_scores(KEYS[6], given)
local claimed, claimed_ids = split_held(given, scores, 1, claim_count)
local acked, acked_ids, stale = split_held(given, scores, claim_count + 1, #given)
local lease_deadline = fmt(now_ms + visibility)
-- A message claimed and acked in the same call is settled: its claim writes nothing.
local acking = {}
for i = 1, #acked do acking[acked[i]] = true end
local deadlines, claiming = {}, {}
for i = 1, #claimed do
  if not acking[claimed[i]] then
    claiming[claimed[i]] = true
    deadlines[#deadlines + 1] = lease_deadline
    deadlines[#deadlines + 1] = claimed[i]
  end
end
if #claimed_ids > 0 then sliced('SREM', KEYS[7], claimed_ids, 1000) end
leave_flight(KEYS[5], KEYS[6], KEYS[7], KEYS[8], acked, acked_ids, true)

-- 1. expired leases
local expired = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now_ms, 'LIMIT', 0, bound)
local expired_seen = #expired
if #claimed_ids > 0 and #expired > 0 then
  local kept = {}
  for i = 1, #expired do
    if not claiming[expired[i]] then kept[#kept + 1] = expired[i] end
  end
  expired = kept
end
if #expired > 0 then
  return_leases(KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], expired, max_receive)
  if expired_seen == bound and redis.call('ZCOUNT', KEYS[6], '-inf', now_ms) > #claimed_ids then more = 1 end
end

local leased, receipts = {}, {}
if more == 0 then
  -- 2. legacy elements
  absorb(KEYS[2], KEYS[1], KEYS[3], KEYS[10], KEYS[11], now_ms, bound)

  -- 3. lease, then prefetch
  local wanted = max + prefetch
  if wanted > 0 then
    local entries = front(KEYS[4], KEYS[3], now_ms, wanted, true)
    local held, ages, prefetched, dead, dead_ids = {}, {}, {}, {}, {}
    local prefetch_deadline = fmt(now_ms + prefetch_ms)
    local delivered = 0
    for k = 1, #entries do
      local record, position, from_due_set = entries[k][1], entries[k][2], entries[k][3]
      local id, enqueued, count = parse(record)
      if from_due_set then id = fmt(tonumber(id)) end
      if count >= max_receive then
        dead[#dead + 1] = id
        dead[#dead + 1] = with_count(record, count)
        if from_due_set then dead_ids[#dead_ids + 1] = id end
        more = 1
      else
        delivered = delivered + 1
        local receipt = id .. ':' .. (count + 1) .. ':' .. lease_tag .. ':' .. position
        if delivered <= max then
          deadlines[#deadlines + 1] = lease_deadline
        else
          deadlines[#deadlines + 1] = prefetch_deadline
          prefetched[#prefetched + 1] = id
        end
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
    if #held > 0 then sliced('HSET', KEYS[5], held, 1000) end
    if #prefetched > 0 then sliced('SADD', KEYS[7], prefetched, 1000) end
    if #ages > 0 then sliced('ZADD', KEYS[8], ages, 1000) end
    if #dead > 0 then sliced('ZADD', KEYS[9], dead, 1000) end
    if #dead_ids > 0 then sliced('ZREM', KEYS[8], dead_ids, 1000) end
  end
end

if #deadlines > 0 then sliced('ZADD', KEYS[6], deadlines, 1000) end

replies_remember(KEYS[12], ARGV[1], table.concat(stale, ',') .. '|' .. table.concat(receipts, ',') .. '|' .. more)
return { stale, leased, more }

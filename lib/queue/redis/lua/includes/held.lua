-- The lease deadline of each receipt (false where it holds no lease), in one round.
local function lease_scores(leases_key, receipts)
  if #receipts == 0 then return {} end
  if #receipts == 1 then return { redis.call('ZSCORE', leases_key, receipts[1]) } end
  return sliced('ZMSCORE', leases_key, receipts, 1000)
end

-- Splits receipts[first..last] by their lease scores (from lease_scores over the same list):
-- the held ones (each once, with its message id) and the stale ones (no lease any more, or a
-- repeat). A receipt is held while it is a member of the lease deadline set (a lease that ran out
-- and went back, an ack, a release all remove it).
local function split_held(receipts, scores, first, last)
  local held, ids, stale, seen = {}, {}, {}, {}
  for i = first, last do
    local receipt = receipts[i]
    local id = receipt_parts(receipt)
    if scores[i] and id and not seen[receipt] then
      seen[receipt] = true
      held[#held + 1] = receipt
      ids[#ids + 1] = id
    else
      stale[#stale + 1] = receipt
    end
  end
  return held, ids, stale
end

-- Which of these receipts still hold their lease: the held receipts, their message ids and the
-- stale receipts.
local function held_receipts(leases_key, receipts)
  return split_held(receipts, lease_scores(leases_key, receipts), 1, #receipts)
end

-- Which of these in-flight ids are prefetches not claimed yet (their delivery does not count).
local function prefetched_flags(prefetched_key, ids)
  if #ids == 0 then return {} end
  return sliced('SMISMEMBER', prefetched_key, ids, 1000)
end

-- Takes messages out of flight: lease, in-flight record, and either the age index (`settled`:
-- acked or dead-lettered) or the prefetch mark (returned to the queue). A settled message is never
-- an unclaimed prefetch: popAtomic claims a prefetch before (or in the same call as) its ack, and
-- nobody else holds a prefetch's receipt.
local function leave_flight(inflight_key, leases_key, prefetched_key, ages_key, receipts, ids, settled)
  if #receipts == 0 then return end
  sliced('ZREM', leases_key, receipts, 1000)
  sliced('HDEL', inflight_key, ids, 1000)
  if settled then
    sliced('ZREM', ages_key, ids, 1000)
  else
    sliced('SREM', prefetched_key, ids, 1000)
  end
end

-- What a re-sent lease call answers: those of its first run's deliveries that still hold their
-- lease, as { receipt1, record1, receipt2, record2, ... }.
local function still_held(leases_key, inflight_key, receipts)
  local held, ids = held_receipts(leases_key, receipts)
  local leased = {}
  if #ids == 0 then return leased end
  local records = sliced('HMGET', inflight_key, ids, 1000)
  for i = 1, #held do
    if records[i] then
      leased[#leased + 1] = held[i]
      leased[#leased + 1] = records[i]
    end
  end
  return leased
end

-- Gives leases back to the queue (they ran out, or their holder can no longer ack them): each
-- message returns to the due set at its original position with its receive count, so it is the
-- next one delivered; one delivered maxReceiveCount times goes to the dead letters instead. An
-- unclaimed prefetch counted no delivery: its count goes back and it is never dead-lettered.
local function return_leases(due_key, inflight_key, leases_key, prefetched_key, ages_key, dead_key, receipts, max_receive)
  local ids = {}
  for i = 1, #receipts do ids[i] = receipt_parts(receipts[i]) end
  local records = sliced('HMGET', inflight_key, ids, 1000)
  local unclaimed = prefetched_flags(prefetched_key, ids)
  local due, dead, dead_ids = {}, {}, {}
  for i = 1, #receipts do
    if records[i] then
      local _, count, position = receipt_parts(receipts[i])
      if unclaimed[i] == 1 then count = count - 1 end
      if unclaimed[i] ~= 1 and count >= max_receive then
        dead[#dead + 1] = ids[i]
        dead[#dead + 1] = with_count(records[i], count)
        dead_ids[#dead_ids + 1] = ids[i]
      else
        due[#due + 1] = position
        due[#due + 1] = due_member(records[i], count)
      end
    end
  end
  leave_flight(inflight_key, leases_key, prefetched_key, ages_key, receipts, ids, false)
  if #due > 0 then sliced('ZADD', due_key, due, 1000) end
  if #dead > 0 then
    sliced('ZADD', dead_key, dead, 1000)
    sliced('ZREM', ages_key, dead_ids, 1000)
  end
end

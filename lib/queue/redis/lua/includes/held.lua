-- Which of these receipts still hold their lease: a receipt is held while it is a member of the
-- lease deadline set (a lease that ran out and went back, an ack, a release all remove it).
-- Returns the held receipts, their message ids and the stale receipts.
local function held_receipts(leases_key, receipts)
  local held, ids, stale = {}, {}, {}
  if #receipts == 0 then return held, ids, stale end
  local scores
  if #receipts == 1 then
    scores = { redis.call('ZSCORE', leases_key, receipts[1]) }
  else
    scores = sliced('ZMSCORE', leases_key, receipts, 1000)
  end
  local seen = {}
  for i = 1, #receipts do
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

-- Which of these in-flight ids are prefetches not claimed yet (their delivery does not count).
local function prefetched_flags(prefetched_key, ids)
  if #ids == 0 then return {} end
  return sliced('SMISMEMBER', prefetched_key, ids, 1000)
end

-- Takes messages out of flight: lease, in-flight record, prefetch mark; the age index only when
-- `settled` (acked or dead-lettered, not returned to the queue).
local function leave_flight(inflight_key, leases_key, prefetched_key, ages_key, receipts, ids, settled)
  if #receipts == 0 then return end
  sliced('ZREM', leases_key, receipts, 1000)
  sliced('HDEL', inflight_key, ids, 1000)
  sliced('SREM', prefetched_key, ids, 1000)
  if settled then sliced('ZREM', ages_key, ids, 1000) end
end

-- Turns prefetched messages into leases as they are handed to a callback: the delivery counts
-- from now on and the lease runs until `deadline`. A receipt that no longer holds its lease (the
-- short prefetch lease ran out first) is left alone. Running it twice changes nothing more.
local function claim_prefetched(leases_key, prefetched_key, receipts, deadline)
  local held, ids = held_receipts(leases_key, receipts)
  if #held == 0 then return end
  local unclaimed = sliced('SMISMEMBER', prefetched_key, ids, 1000)
  local deadlines, claimed = {}, {}
  for i = 1, #held do
    if unclaimed[i] == 1 then
      deadlines[#deadlines + 1] = deadline
      deadlines[#deadlines + 1] = held[i]
      claimed[#claimed + 1] = ids[i]
    end
  end
  if #claimed > 0 then
    sliced('SREM', prefetched_key, claimed, 1000)
    sliced('ZADD', leases_key, deadlines, 1000)
  end
end

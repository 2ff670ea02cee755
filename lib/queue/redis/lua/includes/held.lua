-- Which of these receipts still hold their lease: the in-flight entry of the receipt's message
-- id must start with exactly this receipt. Returns the held ids, their in-flight values and the
-- stale receipts.
local function held_receipts(inflight_key, receipts)
  local ids, wanted = {}, {}
  local stale = {}
  for i = 1, #receipts do
    local id = string.match(receipts[i], '^(%d+):%d+:%d+$')
    if id then
      ids[#ids + 1] = id
      wanted[#wanted + 1] = receipts[i]
    else
      stale[#stale + 1] = receipts[i]
    end
  end
  local held_ids, held_values = {}, {}
  if #ids == 0 then return held_ids, held_values, stale end
  local values = sliced('HMGET', inflight_key, ids, 1000)
  local seen = {}
  for i = 1, #ids do
    local value, receipt = values[i], wanted[i]
    if value and not seen[ids[i]] and string.sub(value, 1, #receipt + 1) == receipt .. '\n' then
      seen[ids[i]] = true
      held_ids[#held_ids + 1] = ids[i]
      held_values[#held_values + 1] = value
    else
      stale[#stale + 1] = receipt
    end
  end
  return held_ids, held_values, stale
end

-- Removes messages from flight (ack): in-flight entry, lease deadline, age index.
local function settle_held(inflight_key, leases_key, ages_key, ids)
  if #ids == 0 then return end
  sliced('HDEL', inflight_key, ids, 1000)
  sliced('ZREM', leases_key, ids, 1000)
  sliced('ZREM', ages_key, ids, 1000)
end

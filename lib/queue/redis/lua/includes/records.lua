-- Message records 'id|enqueuedMs|receiveCount|body' and the forms they take per structure:
-- the ready list holds them as they are; the due set holds them with the id zero-padded to 16
-- digits (members of equal score sort by bytes, so padding makes ties go by id); the in-flight
-- hash holds them exactly as they were leased (the bytes are never rebuilt on the hot path),
-- with the receive count of earlier deliveries: the current delivery's count is in its receipt
-- 'id:receiveCount:leaseTag:position', the member of the lease deadline set.

local function fmt(n) return string.format('%.0f', n) end

-- id and enqueue time as the digits stored (the id may be padded), count as a number.
local function parse(record)
  local id, enqueued, count, body_at = string.match(record, '^(%d+)|(%d+)|(%d+)|()')
  return id, enqueued, tonumber(count), body_at
end


-- The record as the due set keeps it: padded id, this receive count.
local function due_member(record, count)
  local id, enqueued, _, body_at = parse(record)
  return string.format('%016.0f', tonumber(id)) .. '|' .. enqueued .. '|' .. count .. '|' .. string.sub(record, body_at)
end

local function with_count(record, count)
  local id, enqueued, _, body_at = parse(record)
  return fmt(tonumber(id)) .. '|' .. enqueued .. '|' .. count .. '|' .. string.sub(record, body_at)
end

-- id (unpadded), receive count and position of a receipt 'id:receiveCount:leaseTag:position'.
local function receipt_parts(receipt)
  local id, count, position = string.match(receipt, '^(%d+):(%d+):%d+:(%d+)$')
  return id, tonumber(count), position
end

-- Runs command key args[i..j] in slices (Lua's unpack has a stack limit); returns the replies
-- concatenated when the command answers with a list (HMGET).
local function sliced(command, key, args, per)
  local out = {}
  local i = 1
  while i <= #args do
    local j = math.min(i + per - 1, #args)
    local reply = redis.call(command, key, unpack(args, i, j))
    if type(reply) == 'table' then
      for k = 1, #reply do out[#out + 1] = reply[k] end
    end
    i = j + 1
  end
  return out
end

-- Message records 'id|enqueuedMs|receiveCount|body' and the forms they take per structure:
-- the ready list holds them as they are; the due set holds them with the id zero-padded to 16
-- digits (members of equal score sort by bytes, so padding makes ties go by id); the in-flight
-- hash holds receipt .. '\n' .. flag .. position .. '\n' .. record, flag 'L' for a lease (the
-- record's count already includes this delivery) or 'P' for a prefetch (not yet counted).

local function fmt(n) return string.format('%.0f', n) end

local function parse(record)
  local id, enqueued, count, body_at = string.match(record, '^(%d+)|(%d+)|(%d+)|()')
  return tonumber(id), tonumber(enqueued), tonumber(count), body_at
end

local function padded(record)
  local id, rest = string.match(record, '^(%d+)(|.*)$')
  return string.format('%016.0f', tonumber(id)) .. rest
end

local function unpadded(member)
  local id, rest = string.match(member, '^(%d+)(|.*)$')
  return fmt(tonumber(id)) .. rest
end

local function with_count(record, count)
  local id, enqueued, _, body_at = parse(record)
  return fmt(id) .. '|' .. fmt(enqueued) .. '|' .. count .. '|' .. string.sub(record, body_at)
end

-- { receipt, flag, position, record } of an in-flight hash value.
local function split_held(held)
  local receipt, flag, position, record_at = string.match(held, '^([^\n]*)\n(%a)(%d+)\n()')
  return receipt, flag, tonumber(position), string.sub(held, record_at)
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

-- The front of the queue: up to `want` deliverable messages in delivery order, merging the
-- ready list (positions = enqueue times, ascending) with the due set members whose position has
-- come (delayed messages that fell due, redeliveries at their original place). Order is by
-- (position, id). Returns { record, position, from_due } entries (records as stored, positions
-- as digits); with `take`, removes them from their sources.
local function front(due_key, ready_key, now_ms, want, take)
  local out = {}
  local due = redis.call('ZRANGEBYSCORE', due_key, '-inf', now_ms, 'WITHSCORES', 'LIMIT', 0, want)
  local list
  if #due == 0 then
    if take then
      list = redis.call('LPOP', ready_key, want) or {}
    else
      list = redis.call('LRANGE', ready_key, 0, want - 1)
    end
    for j = 1, #list do
      local _, enqueued = parse(list[j])
      out[j] = { list[j], enqueued, false }
    end
    return out
  end
  list = redis.call('LRANGE', ready_key, 0, want - 1)
  local i, j = 1, 1
  while #out < want and (i <= #due or j <= #list) do
    local take_due
    if i > #due then
      take_due = false
    elseif j > #list then
      take_due = true
    else
      local due_position = tonumber(due[i + 1])
      local list_id, list_position = parse(list[j])
      local due_id = tonumber(string.match(due[i], '^(%d+)|'))
      list_position = tonumber(list_position)
      take_due = due_position < list_position or (due_position == list_position and due_id < tonumber(list_id))
    end
    if take_due then
      out[#out + 1] = { due[i], fmt(tonumber(due[i + 1])), true }
      i = i + 2
    else
      local _, list_position = parse(list[j])
      out[#out + 1] = { list[j], list_position, false }
      j = j + 1
    end
  end
  if take then
    if i > 1 then redis.call('ZREMRANGEBYRANK', due_key, 0, (i - 1) / 2 - 1) end
    if j > 1 then redis.call('LTRIM', ready_key, j - 1, -1) end
  end
  return out
end

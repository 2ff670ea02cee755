-- redrive: moves up to ARGV[1] of the oldest dead-lettered messages to the back of ready with
-- their receive count reset to 0 (id and enqueue time kept).
--
-- KEYS[1] dead-letter sorted set ({q}:dead), record -> id
-- KEYS[2] ready list ({q}:ready)
-- KEYS[3] sharded pub/sub channel ({q}:signal), not a key; passed here for cluster routing
-- ARGV[1] max to move in this call
-- Returns: how many moved

local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[1]))
local moved = 0
for i = 1, #popped, 2 do
  local id, enqueued, body_at = string.match(popped[i], '^(%d+)|(%d+)|%d+|()')
  redis.call('RPUSH', KEYS[2], id .. '|' .. enqueued .. '|0|' .. string.sub(popped[i], body_at))
  moved = moved + 1
end
if moved > 0 then
  redis.call('SPUBLISH', KEYS[3], '1')
end
return moved

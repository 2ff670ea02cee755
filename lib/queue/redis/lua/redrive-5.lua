-- redrive: moves up to ARGV[1] of the oldest dead-lettered messages back into the queue with
-- their receive count reset to 0 (id and enqueue time kept), at the queue's current time: they
-- are delivered before anything pushed after the redrive. A re-sent call moves another slice,
-- which only redrives sooner what was asked to be redriven.
--
-- KEYS[1] dead-letter sorted set ({q}:dead), record -> id
-- KEYS[2] due sorted set ({q}:due), padded record -> position ms
-- KEYS[3] age index ({q}:ages), id -> enqueue ms
-- KEYS[4] queue clock ({q}:clock)
-- KEYS[5] sharded pub/sub channel ({q}:signal), not a key; passed here for cluster routing
-- ARGV[1] max to move in this call
-- Returns: how many moved

-- @include "records"
-- @include "clock"

local now_ms = queue_now(KEYS[4])
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[1]))
local due, ages = {}, {}
for i = 1, #popped, 2 do
  local id, enqueued = parse(popped[i])
  due[#due + 1] = fmt(now_ms)
  due[#due + 1] = due_member(popped[i], 0)
  ages[#ages + 1] = enqueued
  ages[#ages + 1] = fmt(tonumber(id))
end
if #due > 0 then
  sliced('ZADD', KEYS[2], due, 1000)
  sliced('ZADD', KEYS[3], ages, 1000)
  advance_clock(KEYS[4], now_ms)
  redis.call('SPUBLISH', KEYS[5], '0')
end
return #due / 2

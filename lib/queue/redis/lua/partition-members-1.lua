-- partition-members: the membership of a partitioned queue's consumer group, with heartbeats on
-- Redis time. Every consumer beats at a third of its lease; one that stops beating (it died, or
-- froze) drops out of the list when its deadline passes, and the others then take its share.
--
-- KEYS[1] members sorted set ({q}:members), consumer id -> heartbeat deadline ms
-- ARGV[1] 'beat' | 'leave'
-- ARGV[2] consumer id
-- ARGV[3] heartbeat lifetime in ms (beat)
-- Returns: the live members' ids (the caller sorts them: the assignment is by sorted id)

-- @include "clock"

local now_ms = server_now()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if ARGV[1] == 'beat' then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now_ms + tonumber(ARGV[3])), ARGV[2])
  -- The set outlives its members by a little, so that an abandoned group leaves no key behind.
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 10)
elseif ARGV[1] == 'leave' then
  redis.call('ZREM', KEYS[1], ARGV[2])
else
  return redis.error_reply('partition-members: unknown op ' .. tostring(ARGV[1]))
end
return redis.call('ZRANGE', KEYS[1], 0, -1)

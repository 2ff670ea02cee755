-- dead-delete: removes dead-lettered messages by id (each an O(log n) range delete on its score).
--
-- KEYS[1] dead-letter sorted set ({q}:dead), record -> id
-- ARGV[1..n] message ids; unknown ones are ignored
-- Returns: how many were removed

local removed = 0
for i = 1, #ARGV do
  removed = removed + redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[i], ARGV[i])
end
return removed

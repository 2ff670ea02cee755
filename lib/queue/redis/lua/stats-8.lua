-- stats: counts and the exact age of the oldest message not yet acked, in O(log n) (LLEN,
-- ZCARD, ZCOUNT, HLEN and the first element of ordered structures; never a scan). The oldest
-- message is the head of the ready list (it is in enqueue order) or the first of the age index,
-- which holds every message in the due set or in flight. Legacy elements not absorbed yet carry
-- no enqueue time: they count as enqueued now.
--
-- KEYS[1] legacy list (bare queue name)
-- KEYS[2] staging list ({q}:staging)
-- KEYS[3] ready list ({q}:ready)
-- KEYS[4] due sorted set ({q}:due), padded record -> position ms
-- KEYS[5] in-flight hash ({q}:inflight)
-- KEYS[6] age index ({q}:ages), id -> enqueue ms
-- KEYS[7] dead-letter sorted set ({q}:dead)
-- KEYS[8] queue clock ({q}:clock)
-- Returns: { ready (incl. legacy and staging), inFlight, delayed, dead, oldest age in ms or -1 }

-- @include "records"
-- @include "clock"

local now_ms = queue_now(KEYS[8])
local waiting = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2])
local due_now = redis.call('ZCOUNT', KEYS[4], '-inf', now_ms)
local ready = redis.call('LLEN', KEYS[3]) + waiting + due_now
local delayed = redis.call('ZCARD', KEYS[4]) - due_now
local in_flight = redis.call('HLEN', KEYS[5])
local dead = redis.call('ZCARD', KEYS[7])

local oldest = nil
local head = redis.call('LINDEX', KEYS[3], 0)
if head then
  local _, enqueued = parse(head)
  oldest = tonumber(enqueued)
end
local aged = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
if aged[2] and (oldest == nil or tonumber(aged[2]) < oldest) then oldest = tonumber(aged[2]) end
if waiting > 0 and oldest == nil then oldest = now_ms end

local age = -1
if oldest then age = math.max(0, now_ms - oldest) end
return { ready, in_flight, delayed, dead, age }

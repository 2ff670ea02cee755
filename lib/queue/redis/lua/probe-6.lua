-- probe: tells a waiting consumer whether anything can be leased now, and otherwise how long
-- until a delayed message falls due or a lease runs out (either makes a message leasable).
--
-- KEYS[1] legacy list (bare queue name)
-- KEYS[2] staging list ({q}:staging)
-- KEYS[3] ready list ({q}:ready)
-- KEYS[4] due sorted set ({q}:due), padded record -> position ms
-- KEYS[5] lease deadlines sorted set ({q}:leases)
-- KEYS[6] queue clock ({q}:clock)
-- Returns: { leasable count (incl. legacy and staging), ms until the next due/expiry or -1 }

-- @include "clock"

local now_ms = queue_now(KEYS[6])
local ready = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3])
  + redis.call('ZCOUNT', KEYS[4], '-inf', now_ms)
local next_at = nil
local lease = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
if lease[2] then next_at = tonumber(lease[2]) end
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '(' .. string.format('%.0f', now_ms), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if due[2] and (next_at == nil or tonumber(due[2]) < next_at) then next_at = tonumber(due[2]) end
local wait = -1
if next_at then wait = math.max(0, next_at - now_ms) end
return { ready, string.format('%.0f', wait) }

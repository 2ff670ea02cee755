-- probe: tells a waiting consumer whether anything can be leased now, and otherwise how long
-- until a delayed message falls due or a lease runs out (either makes a message leasable).
--
-- KEYS[1] legacy list (bare queue name)
-- KEYS[2] staging list ({q}:staging)
-- KEYS[3] ready list ({q}:ready)
-- KEYS[4] lease deadlines sorted set ({q}:leases)
-- KEYS[5] delayed sorted set ({q}:delayed)
-- Returns: { ready count (incl. legacy and staging), ms until the next due/expiry or -1 if none }

local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ready = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3])
local next_at = nil
local lease = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
if lease[2] then next_at = tonumber(lease[2]) end
local delayed = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
if delayed[2] and (next_at == nil or tonumber(delayed[2]) < next_at) then next_at = tonumber(delayed[2]) end
local wait = -1
if next_at then wait = math.max(0, next_at - now_ms) end
return { ready, string.format('%.0f', wait) }

-- stats: counts and the age of the oldest message, in O(1) per key (LLEN, ZCARD, HLEN and the
-- first element of each ordered structure; never a scan).
--
-- KEYS[1] legacy list (bare queue name)
-- KEYS[2] staging list ({q}:staging)
-- KEYS[3] ready list ({q}:ready)
-- KEYS[4] in-flight hash ({q}:inflight)
-- KEYS[5] lease deadlines sorted set ({q}:leases)
-- KEYS[6] delayed sorted set ({q}:delayed)
-- KEYS[7] dead-letter sorted set ({q}:dead)
-- Returns: { ready (incl. legacy and staging), inFlight, delayed, dead, oldest age in ms or -1 }
-- The oldest age looks at the head of ready, the lease that runs out first and the delayed
-- message due first; legacy elements not absorbed yet count as just enqueued.

local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local waiting = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2])
local ready = redis.call('LLEN', KEYS[3]) + waiting
local in_flight = redis.call('HLEN', KEYS[4])
local delayed = redis.call('ZCARD', KEYS[6])
local dead = redis.call('ZCARD', KEYS[7])

local oldest = nil
local function consider(record)
  if not record then return end
  local enqueued = tonumber(string.match(record, '^%d+|(%d+)|'))
  if enqueued and (oldest == nil or enqueued < oldest) then oldest = enqueued end
end
consider(redis.call('LINDEX', KEYS[3], 0))
local first_lease = redis.call('ZRANGE', KEYS[5], 0, 0)
if first_lease[1] then
  local held = redis.call('HGET', KEYS[4], first_lease[1])
  if held then consider(string.sub(held, string.find(held, '\n', 1, true) + 1)) end
end
consider(redis.call('ZRANGE', KEYS[6], 0, 0)[1])
if waiting > 0 and oldest == nil then oldest = now_ms end

local age = -1
if oldest then age = math.max(0, now_ms - oldest) end
return { ready, in_flight, delayed, dead, age }

-- release: gives leased messages back. At once, a message returns to its original position, so
-- it is delivered before anything pushed after it (several released at once keep their order);
-- with a delay, it re-enters the order at the time it falls due, as a delayed push does. A
-- lease counts as a delivery (receive count kept); a prefetch that was never claimed does not.
--
-- KEYS[1] due sorted set ({q}:due), padded record -> position ms
-- KEYS[2] in-flight hash ({q}:inflight), id -> receipt \n flag position \n record
-- KEYS[3] lease deadlines sorted set ({q}:leases)
-- KEYS[4] queue clock ({q}:clock)
-- KEYS[5] reply cache of the calling session ({q}:replies:<session>)
-- KEYS[6] sharded pub/sub channel ({q}:signal), not a key; passed here for cluster routing
-- ARGV[1] call number within the session
-- ARGV[2] call numbers whose replies the session has received (comma-separated, may be empty)
-- ARGV[3] delay in ms (0: visible at once)
-- ARGV[4..n] receipts
-- Returns: the stale receipts (a re-sent call answers the first run's list)

-- @include "records"
-- @include "replies"
-- @include "clock"
-- @include "held"

local cached = replies_lookup(KEYS[5], ARGV[1], ARGV[2])
if cached then
  local stale = {}
  for receipt in string.gmatch(cached, '[^,]+') do stale[#stale + 1] = receipt end
  return stale
end

local now_ms = queue_now(KEYS[4])
local delay = tonumber(ARGV[3])
local receipts = {}
for i = 4, #ARGV do receipts[#receipts + 1] = ARGV[i] end
local held, values, stale = held_receipts(KEYS[2], receipts)
if #held > 0 then
  local due = {}
  for i = 1, #values do
    local _, _, position, record = split_held(values[i])
    due[#due + 1] = delay > 0 and fmt(now_ms + delay) or fmt(position)
    due[#due + 1] = padded(record)
  end
  sliced('HDEL', KEYS[2], held, 1000)
  sliced('ZREM', KEYS[3], held, 1000)
  sliced('ZADD', KEYS[1], due, 1000)
  redis.call('SPUBLISH', KEYS[6], tostring(math.max(delay, 0)))
end
replies_remember(KEYS[5], ARGV[1], table.concat(stale, ','))
return stale

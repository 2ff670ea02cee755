-- push: appends messages to the back of the queue, or to the due set when delayed, stamping
-- source_enqueued_time from the Redis clock. Waiting legacy elements are absorbed first; if some
-- are still waiting after that (more than the bound), the pushes queue up behind them in the
-- legacy list instead, so that legacy messages keep their place ahead of newer pushes.
-- A message's position is its enqueue time (or its due time when delayed); ties go by id.
-- A message pushed with an idempotency key is stored only if no push of the last retention
-- window carried that key (docs/queue.md, Idempotent push): a re-run of a move stores it once.
--
-- KEYS[1] legacy list (the bare queue name; legacy producers RPUSH raw JSON onto it)
-- KEYS[2] staging list ({q}:staging, filled by waitForMessage's BLMOVE)
-- KEYS[3] ready list ({q}:ready)
-- KEYS[4] due sorted set ({q}:due), padded record -> position ms
-- KEYS[5] age index ({q}:ages), id -> enqueue ms, for messages in the due set or in flight
-- KEYS[6] id counter ({q}:seq)
-- KEYS[7] queue clock ({q}:clock)
-- KEYS[8] reply cache of the calling session ({q}:replies:<session>)
-- KEYS[9] sharded pub/sub channel ({q}:signal), not a key; passed here for cluster routing
-- KEYS[10] idempotency keys seen ({q}:pushed), sorted set key -> push time ms
-- ARGV[1] call number within the session
-- ARGV[2] call numbers whose replies the session has received (comma-separated, may be empty)
-- ARGV[3] delay in ms (0: ready at once)
-- ARGV[4] at most this many legacy/staging elements absorbed first
-- ARGV[5] how long an idempotency key is remembered, in ms
-- ARGV[6..n] message bodies (serialised JSON objects), each prefixed with one flag character:
--            'S' = append "source_enqueued_time":<unix seconds>, 'K' = keep the body as it is;
--            'T' and 'L' are 'S' and 'K' with an idempotency key first: 'T<key>\n{...}'
-- Returns: the number of messages stored, those skipped as already pushed not counted (the
-- first run's answer when the call is re-sent)

-- @include "records"
-- @include "replies"
-- @include "clock"
-- @include "absorb"

local cached = replies_lookup(KEYS[8], ARGV[1], ARGV[2])
if cached then return tonumber(cached) end

local now_ms, time = queue_now(KEYS[7])
local delay = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
-- fewer than the budget taken: staging and the legacy list are empty now
local backlog = absorb(KEYS[2], KEYS[1], KEYS[3], KEYS[6], KEYS[7], now_ms, budget) >= budget

local stamp = ',"source_enqueued_time":' .. time[1] .. '}'
local bodies = {}
local trimmed = false
for i = 6, #ARGV do
  local arg = ARGV[i]
  local flag = string.sub(arg, 1, 1)
  if flag == 'T' or flag == 'L' then
    if not trimmed then
      redis.call('ZREMRANGEBYSCORE', KEYS[10], '-inf', fmt(now_ms - tonumber(ARGV[5])))
      trimmed = true
    end
    local newline = string.find(arg, '\n', 2, true)
    local fresh = redis.call('ZADD', KEYS[10], 'NX', fmt(now_ms), string.sub(arg, 2, newline - 1)) == 1
    if fresh then
      flag = flag == 'T' and 'S' or 'K'
      arg = flag .. string.sub(arg, newline + 1)
    else
      arg = nil
    end
  end
  if arg == nil then
    -- already pushed within the retention window: nothing stored
  elseif flag == 'S' then
    if arg == 'S{}' then
      bodies[#bodies + 1] = '{"source_enqueued_time":' .. time[1] .. '}'
    else
      bodies[#bodies + 1] = string.sub(arg, 2, -2) .. stamp
    end
  else
    bodies[#bodies + 1] = string.sub(arg, 2)
  end
end
local n = #bodies

if delay <= 0 and backlog and legacy_waiting(KEYS[2], KEYS[1]) > 0 then
  local deferred = {}
  for i = 1, n do deferred[i] = '\0' .. bodies[i] end
  sliced('RPUSH', KEYS[1], deferred, 1000)
elseif n > 0 then
  local first = redis.call('INCRBY', KEYS[6], n) - n + 1
  local stamp_ms = '|' .. fmt(now_ms) .. '|0|'
  if delay <= 0 then
    local records = {}
    for i = 1, n do records[i] = fmt(first + i - 1) .. stamp_ms .. bodies[i] end
    sliced('RPUSH', KEYS[3], records, 1000)
  else
    local due_at = fmt(now_ms + delay)
    local members, ages = {}, {}
    for i = 1, n do
      local id = first + i - 1
      members[#members + 1] = due_at
      members[#members + 1] = string.format('%016.0f', id) .. stamp_ms .. bodies[i]
      ages[#ages + 1] = fmt(now_ms)
      ages[#ages + 1] = fmt(id)
    end
    sliced('ZADD', KEYS[4], members, 1000)
    sliced('ZADD', KEYS[5], ages, 1000)
  end
end
advance_clock(KEYS[7], now_ms)

redis.call('SPUBLISH', KEYS[9], tostring(math.max(delay, 0)))
replies_remember(KEYS[8], ARGV[1], tostring(n))
return n

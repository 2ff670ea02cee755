-- push: appends messages to the back of the queue (or to the delayed set), stamping
-- source_enqueued_time from the Redis clock, after absorbing waiting legacy elements so that
-- they keep their place ahead of newer pushes.
--
-- KEYS[1] legacy list (the bare queue name; legacy producers RPUSH raw JSON onto it)
-- KEYS[2] staging list ({q}:staging, filled by waitForMessage's BLMOVE)
-- KEYS[3] ready list ({q}:ready)
-- KEYS[4] delayed sorted set ({q}:delayed)
-- KEYS[5] id counter ({q}:seq)
-- KEYS[6] sharded pub/sub channel ({q}:signal), not a key; passed here for cluster routing
-- ARGV[1] delay in ms (0: ready at once)
-- ARGV[2] at most this many legacy/staging elements absorbed first
-- ARGV[3..n] message bodies (serialised JSON objects), each prefixed with one flag character:
--            'S' = append "source_enqueued_time":<unix seconds>, 'K' = keep the body as it is
-- Returns: the number of messages pushed

local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local now_ms_s = string.format('%.0f', now_ms)
local delay = tonumber(ARGV[1])
local budget = tonumber(ARGV[2])

local function absorb(key)
  if budget <= 0 then return end
  local items = redis.call('LPOP', key, budget)
  if not items then return end
  budget = budget - #items
  for i = 1, #items do
    local id = redis.call('INCR', KEYS[5])
    redis.call('RPUSH', KEYS[3], string.format('%.0f', id) .. '|' .. now_ms_s .. '|0|' .. items[i])
  end
end
absorb(KEYS[2])
absorb(KEYS[1])

local stamp = ',"source_enqueued_time":' .. time[1] .. '}'
for i = 3, #ARGV do
  local arg = ARGV[i]
  local body
  if string.sub(arg, 1, 1) == 'S' then
    if arg == 'S{}' then
      body = '{"source_enqueued_time":' .. time[1] .. '}'
    else
      body = string.sub(arg, 2, -2) .. stamp
    end
  else
    body = string.sub(arg, 2)
  end
  local id = redis.call('INCR', KEYS[5])
  local record = string.format('%.0f', id) .. '|' .. now_ms_s .. '|0|' .. body
  if delay > 0 then
    redis.call('ZADD', KEYS[4], now_ms + delay, record)
  else
    redis.call('RPUSH', KEYS[3], record)
  end
end

if delay <= 0 then
  redis.call('SPUBLISH', KEYS[6], '1')
end
return #ARGV - 2

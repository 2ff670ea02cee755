-- Redis TIME in ms (and the raw reply, for µs lease tags and unix seconds): enough where no
-- position is handed out (deadlines, what is due).
local function server_now()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000), time
end

-- The queue's clock from a TIME already read: never earlier than the last position handed out
-- (kept in the clock key), so that positions, and with them FIFO order, survive a server clock
-- stepping back.
local function queue_now_from(clock_key, now_ms)
  local last = tonumber(redis.call('GET', clock_key) or '0')
  if last > now_ms then return last end
  return now_ms
end

-- The queue's clock, and the raw TIME reply.
local function queue_now(clock_key)
  local now_ms, time = server_now()
  return queue_now_from(clock_key, now_ms), time
end

-- Records that positions up to now_ms were handed out.
local function advance_clock(clock_key, now_ms)
  redis.call('SET', clock_key, string.format('%.0f', now_ms))
end

-- Legacy elements (raw JSON that legacy producers RPUSH onto the bare queue name) and pushes
-- deferred behind them (marked with a leading NUL byte) enter the ready list, staging first (it
-- holds what waitForMessage's BLMOVE took from the head of the legacy list), with new ids and
-- the queue time: they enter the order when the queue first sees them. At most `budget`.
-- Returns how many it took (it reads the clock and advances it only then).
local function absorb(staging_key, legacy_key, ready_key, seq_key, clock_key, now_ms, budget)
  if redis.call('EXISTS', staging_key, legacy_key) == 0 then return 0 end
  now_ms = queue_now_from(clock_key, now_ms)
  local taken = 0
  for _, key in ipairs({ staging_key, legacy_key }) do
    local want = budget - taken
    if want <= 0 then break end
    local items = redis.call('LPOP', key, want)
    if items then
      local n = #items
      local first = redis.call('INCRBY', seq_key, n) - n + 1
      local stamp = '|' .. fmt(now_ms) .. '|0|'
      local records = {}
      for i = 1, n do
        local item = items[i]
        if string.byte(item, 1) == 0 then item = string.sub(item, 2) end
        records[i] = fmt(first + i - 1) .. stamp .. item
      end
      sliced('RPUSH', ready_key, records, 1000)
      taken = taken + n
    end
  end
  if taken > 0 then advance_clock(clock_key, now_ms) end
  return taken
end

-- Elements still waiting in staging and the legacy list.
local function legacy_waiting(staging_key, legacy_key)
  return redis.call('LLEN', staging_key) + redis.call('LLEN', legacy_key)
end

-- lease: acks the piggybacked receipts, does bounded housekeeping, then leases up to N of the
-- oldest ready messages. Housekeeping, each step bounded by ARGV[4]:
--   1. expired leases go back to the FRONT of ready (FIFO kept), or to dead when they have
--      already been delivered maxReceiveCount times;
--   2. due delayed messages go to the back of ready;
--   3. legacy elements (staging first, then the legacy list) go to the back of ready with a new
--      id and the Redis time as enqueue time.
-- A ready message already delivered maxReceiveCount times is dead-lettered instead of leased.
--
-- KEYS[1] legacy list (bare queue name)
-- KEYS[2] staging list ({q}:staging)
-- KEYS[3] ready list ({q}:ready), records 'id|enqueuedMs|receiveCount|body'
-- KEYS[4] in-flight hash ({q}:inflight), id -> receipt .. '\n' .. record
-- KEYS[5] lease deadlines sorted set ({q}:leases), id -> deadline ms
-- KEYS[6] delayed sorted set ({q}:delayed), record -> due ms
-- KEYS[7] dead-letter sorted set ({q}:dead), record -> id
-- KEYS[8] id counter ({q}:seq)
-- ARGV[1] max messages to lease (0 allowed: ack and housekeeping only)
-- ARGV[2] visibility timeout in ms
-- ARGV[3] maxReceiveCount
-- ARGV[4] housekeeping bound per step
-- ARGV[5..n] receipts to ack first
-- Returns: { stale receipts among ARGV[5..n], { receipt1, record1, receipt2, record2, ... } }
--          where each record carries the incremented receiveCount

local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local now_ms_s = string.format('%.0f', now_ms)
local lease_tag = time[1] .. string.format('%06d', tonumber(time[2]))
local max = tonumber(ARGV[1])
local visibility = tonumber(ARGV[2])
local max_receive = tonumber(ARGV[3])
local bound = tonumber(ARGV[4])

local function parse(record)
  local id, enqueued, count, body_at = string.match(record, '^(%d+)|(%d+)|(%d+)|()')
  return id, enqueued, tonumber(count), body_at
end

-- 0. piggybacked acks
local stale = {}
for i = 5, #ARGV do
  local receipt = ARGV[i]
  local id = string.match(receipt, '^(%d+):')
  local held = id and redis.call('HGET', KEYS[4], id)
  if held and string.sub(held, 1, #receipt + 1) == receipt .. '\n' then
    redis.call('HDEL', KEYS[4], id)
    redis.call('ZREM', KEYS[5], id)
  else
    stale[#stale + 1] = receipt
  end
end

-- 1. expired leases
local expired = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now_ms, 'LIMIT', 0, bound)
if #expired > 0 then
  local back = {}
  for i = 1, #expired do
    local id = expired[i]
    local held = redis.call('HGET', KEYS[4], id)
    redis.call('HDEL', KEYS[4], id)
    redis.call('ZREM', KEYS[5], id)
    if held then
      local record = string.sub(held, string.find(held, '\n', 1, true) + 1)
      local _, _, count = parse(record)
      if count >= max_receive then
        redis.call('ZADD', KEYS[7], id, record)
      else
        back[#back + 1] = { tonumber(id), record }
      end
    end
  end
  table.sort(back, function(a, b) return a[1] > b[1] end)
  for i = 1, #back do
    redis.call('LPUSH', KEYS[3], back[i][2])
  end
end

-- 2. due delayed messages
local due = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now_ms, 'LIMIT', 0, bound)
for i = 1, #due do
  redis.call('ZREM', KEYS[6], due[i])
  redis.call('RPUSH', KEYS[3], due[i])
end

-- 3. legacy elements
local budget = bound
local function absorb(key)
  if budget <= 0 then return end
  local items = redis.call('LPOP', key, budget)
  if not items then return end
  budget = budget - #items
  for i = 1, #items do
    local id = redis.call('INCR', KEYS[8])
    redis.call('RPUSH', KEYS[3], string.format('%.0f', id) .. '|' .. now_ms_s .. '|0|' .. items[i])
  end
end
absorb(KEYS[2])
absorb(KEYS[1])

-- 4. lease
local leased = {}
local delivered = 0
local tries = 0
local deadline = now_ms + visibility
while delivered < max and tries < max + bound do
  tries = tries + 1
  local record = redis.call('LPOP', KEYS[3])
  if not record then break end
  local id, enqueued, count, body_at = parse(record)
  if count >= max_receive then
    redis.call('ZADD', KEYS[7], id, record)
  else
    local next_count = tostring(count + 1)
    local fresh = id .. '|' .. enqueued .. '|' .. next_count .. '|' .. string.sub(record, body_at)
    local receipt = id .. ':' .. next_count .. ':' .. lease_tag
    redis.call('HSET', KEYS[4], id, receipt .. '\n' .. fresh)
    redis.call('ZADD', KEYS[5], deadline, id)
    leased[#leased + 1] = receipt
    leased[#leased + 1] = fresh
    delivered = delivered + 1
  end
end
return { stale, leased }

-- ack: removes leased messages whose receipts are still current.
--
-- KEYS[1] in-flight hash ({q}:inflight), id -> receipt .. '\n' .. record
-- KEYS[2] lease deadlines sorted set ({q}:leases)
-- ARGV[1..n] receipts 'id:receiveCount:leaseTag'
-- Returns: the stale receipts (lease lost to a redelivery, or already settled)

local stale = {}
for i = 1, #ARGV do
  local receipt = ARGV[i]
  local id = string.match(receipt, '^(%d+):')
  local held = id and redis.call('HGET', KEYS[1], id)
  if held and string.sub(held, 1, #receipt + 1) == receipt .. '\n' then
    redis.call('HDEL', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
  else
    stale[#stale + 1] = receipt
  end
end
return stale

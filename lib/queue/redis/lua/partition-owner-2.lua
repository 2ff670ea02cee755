-- partition-owner: claims, renews or gives up the lease on one partition of a partitioned queue
-- (lib/queue/partitions). The lease is kept on the partition's own slot, beside its messages, so
-- that partition-lease and partition-ack can check it in the same script as the messages they
-- touch. The fencing token grows by one each time the partition gets a new owner: a consumer
-- that lost the partition holds an older token, and every fenced script refuses it.
--
-- KEYS[1] partition owner hash ({q#p}:owner): owner, token, deadline (ms, Redis time), leased_by
-- KEYS[2] fencing counter ({q#p}:fence); survives give-ups, so tokens never repeat
-- ARGV[1] 'claim' | 'renew' | 'give'
-- ARGV[2] consumer id
-- ARGV[3] the caller's token ('0' for claim)
-- ARGV[4] lease length in ms, from now (claim, renew)
-- Returns: claim: the token (> 0) when the caller owns the partition afterwards, 0 when another
--          consumer's lease is still running; renew: the token, or 0 when the caller lost it;
--          give: 1 when given up, 0 when the caller did not own it. A claim by the current
--          owner (a re-sent call) answers the same token, so claims need no reply cache.

-- @include "clock"

local now_ms = server_now()
local op, me = ARGV[1], ARGV[2]
local owner = redis.call('HMGET', KEYS[1], 'owner', 'token', 'deadline')
local live = owner[1] and tonumber(owner[3]) > now_ms
local deadline = string.format('%.0f', now_ms + tonumber(ARGV[4] or '0'))

if op == 'claim' then
  if owner[1] == me then
    redis.call('HSET', KEYS[1], 'deadline', deadline)
    return tonumber(owner[2])
  end
  if live then return 0 end
  local token = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[1], 'owner', me, 'token', token, 'deadline', deadline)
  return token
end

if owner[1] ~= me or owner[2] ~= ARGV[3] then return 0 end
if op == 'renew' then
  -- A renewal after the deadline is still safe while nobody claimed the partition meanwhile (the
  -- owner and token are unchanged, so nothing was leased by anyone else).
  redis.call('HSET', KEYS[1], 'deadline', deadline)
  return tonumber(owner[2])
end
if op == 'give' then
  -- Only the owner fields go: leased_by stays, so the next owner sees that what is still in
  -- flight (nothing, after a graceful give-up) was leased under an older token.
  redis.call('HDEL', KEYS[1], 'owner', 'token', 'deadline')
  return 1
end
return redis.error_reply('partition-owner: unknown op ' .. tostring(op))

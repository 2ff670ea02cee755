-- Reply cache: makes a script call safe to run twice. ioredis re-sends a command whose reply was
-- lost with the connection, so a call that already ran must answer what it answered the first
-- time instead of running again. Each client session numbers its calls per queue; the reply of
-- each is kept in the session's hash until the client says (in a later call's done list) that it
-- has received it, or until the hash has been idle for ten minutes.
local function replies_forget(replies_key, done)
  if done == '' then return end
  local seqs = {}
  for seq in string.gmatch(done, '[^,]+') do seqs[#seqs + 1] = seq end
  sliced('HDEL', replies_key, seqs, 1000)
end

local function replies_lookup(replies_key, call, done)
  replies_forget(replies_key, done)
  return redis.call('HGET', replies_key, call)
end

-- The idle expiry is renewed every 16th call of the session (a call costs one Redis command
-- less that way); ten minutes leaves any re-send, which follows within seconds, far inside it.
local function replies_remember(replies_key, call, reply)
  redis.call('HSET', replies_key, call, reply)
  if tonumber(call) % 16 == 1 then redis.call('PEXPIRE', replies_key, 600000) end
end

-- The receipts of a comma-separated list, as the scripts cache them.
local function split_receipts(list)
  local receipts = {}
  for receipt in string.gmatch(list, '[^,]+') do receipts[#receipts + 1] = receipt end
  return receipts
end

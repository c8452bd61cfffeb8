--[[
  Move a claim's expiry along with its lease (after each successful renew), unless the batch was
  cancelled: then the attempt must stop (this is how a worker that missed the cancel message on
  the pub/sub bus still learns of it, at its next renewal).

  KEYS[1] batch meta hash (status)
  KEYS[2] claims hash (index -> "fence:expiresAt")
  ARGV[1] item index
  ARGV[2] fence
  ARGV[3] new expiry (epoch ms)

  Returns: 1 extended; 0 stale (the claim is not this fence's any more); 3 the batch is cancelled
  (the claim is left as it is).
]]
if redis.call('HGET', KEYS[1], 'status') == 'cancelled' then return 3 end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if not current or string.match(current, '^(%d+):') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
return 1

--[[
  Claim a batch item for one attempt, fenced by the attempt's lease. Fences come from the pool's
  counter, and every attempt of an item uses the same pool, so a higher fence is a newer attempt.

  KEYS[1] batch meta hash
  KEYS[2] results hash (index -> result JSON)
  KEYS[3] claims hash (index -> "fence:expiresAt")
  ARGV[1] item index
  ARGV[2] fence of the attempt's lease
  ARGV[3] the lease's expiry (epoch ms)

  Returns: 1 claimed; 2 the item already has its result; 3 the batch is cancelled;
  -8 no such batch; -9 stale (a newer attempt holds the claim).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -8 end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 2 end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'cancelled' then return 3 end
local current = redis.call('HGET', KEYS[3], ARGV[1])
if current then
  local fence = tonumber(string.match(current, '^(%d+):'))
  if fence > tonumber(ARGV[2]) then return -9 end
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
if status == 'queued' then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[1], 'status', 'running', 'startedAt', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end
return 1

--[[
  Claim a batch item for one attempt, identified by its lease's fence (fences come from the pool's
  counter: no two leases ever share one). The queue hands a job to one attempt at a time, so the
  latest claim wins: it takes over from an earlier attempt, whose extensions and writes are then
  refused. Fence order says nothing about attempt order (a warm profile keeps an old lease, with a
  low fence, across many items), so it is not compared. A claim under a lease that has already
  expired is refused: its holder was paused past its TTL and must not unseat the current attempt.

  KEYS[1] batch meta hash
  KEYS[2] results hash (index -> result JSON)
  KEYS[3] claims hash (index -> "fence:expiresAt")
  ARGV[1] item index
  ARGV[2] fence of the attempt's lease
  ARGV[3] the lease's expiry (epoch ms)

  Returns: 1 claimed; 2 the item already has its result; 3 the batch is cancelled;
  -8 no such batch; -9 stale (the attempt's lease expired before it could claim).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -8 end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 2 end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'cancelled' then return 3 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(ARGV[3]) <= now then return -9 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
if status == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'startedAt', now)
end
return 1

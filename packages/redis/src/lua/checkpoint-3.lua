--[[
  Write a scenario item's checkpoint, fenced like a result (record-3.lua): accepted only under the
  item's current claim, before that claim (= its lease) expires, while the batch is not cancelled
  and the item has no result yet. The checkpoints hash expires `ARGV[4]` seconds after its last
  write, and never after the batch's record (a finished batch's keys have their retention TTL).

  KEYS[1] batch meta hash (status)
  KEYS[2] claims hash (index -> "fence:expiresAt")
  KEYS[3] checkpoints hash (index -> checkpoint JSON)
  ARGV[1] item index
  ARGV[2] fence of the attempt's lease
  ARGV[3] checkpoint JSON
  ARGV[4] how long the checkpoints stay after their last write, seconds

  Returns: 1 saved; 3 refused, the batch is cancelled; -8 no such batch; -9 stale (the claim was
  taken over or expired).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -8 end
if redis.call('HGET', KEYS[1], 'status') == 'cancelled' then return 3 end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if not current then return -9 end
local fence, expires = string.match(current, '^(%d+):(%d+)$')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if fence ~= ARGV[2] or tonumber(expires) <= now then return -9 end

redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
local ttl = tonumber(ARGV[4]) * 1000
local metaTtl = redis.call('PTTL', KEYS[1])
if metaTtl > 0 and metaTtl < ttl then ttl = metaTtl end
redis.call('PEXPIRE', KEYS[3], ttl)
return 1

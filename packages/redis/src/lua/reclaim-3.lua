--[[
  Take back leases that expired without renewal (their holders died or stalled) and return ended
  quarantines to the pool. A reclaimed profile becomes ready after `readyDelay`, which gives the
  caller time to stop the browser a dead holder left running before anyone else starts it; its old
  token is dead because the hash no longer holds it.

  KEYS[1] available zset
  KEYS[2] leases zset
  KEYS[3] quarantine zset
  ARGV[1] profile hash key prefix
  ARGV[2] tag zset key prefix
  ARGV[3] at most this many leases per call
  ARGV[4] ready delay ms for reclaimed profiles

  Returns: a flat list {id, owner, fence, expiredAt, ...} of the reclaimed leases.
]]
--- @include "common"

local now = nowMs()
local out = {}
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(expired) do
  local profileKey = ARGV[1] .. id
  local owner, fence, expires = unpack(redis.call('HMGET', profileKey, 'owner', 'fence', 'leaseExpiresAt'))
  redis.call('ZREM', KEYS[2], id)
  makeAvailable(KEYS[1], ARGV[2], profileKey, id, now + tonumber(ARGV[4]))
  redis.call('HSET', profileKey, 'updatedAt', now)
  out[#out + 1] = id
  out[#out + 1] = owner or ''
  out[#out + 1] = fence or '0'
  out[#out + 1] = expires or ''
end
returnDueQuarantined(KEYS[3], KEYS[1], ARGV[2], ARGV[1], now, tonumber(ARGV[3]))
return out

--[[
  Quarantine a profile by hand: out of the pool until `durationMs` from now, or until released by
  hand (duration -1). A lease it has is revoked: the holder's next renew or release is refused.

  KEYS[1] members set
  KEYS[2] available zset
  KEYS[3] leases zset
  KEYS[4] quarantine zset
  KEYS[5] the profile's hash
  ARGV[1] profile id
  ARGV[2] reason
  ARGV[3] duration ms, or -1 for "until released by hand"
  ARGV[4] tag zset key prefix

  Returns: the profile hash after the change (HGETALL, so `updatedAt` is the revocation time);
  -2 no such profile.
]]
--- @include "common"

local id = ARGV[1]
if redis.call('SISMEMBER', KEYS[1], id) == 0 then return -2 end
local now = nowMs()
local duration = tonumber(ARGV[3])
local untilScore = '+inf'
local untilField = ''
if duration >= 0 then
  untilScore = now + duration
  untilField = untilScore
end
removeAvailable(KEYS[2], ARGV[4], KEYS[5], id)
redis.call('ZREM', KEYS[3], id)
redis.call('ZADD', KEYS[4], untilScore, id)
redis.call('HSET', KEYS[5], 'state', 'quarantined', 'owner', '', 'token', '', 'leaseExpiresAt', '',
  'grantedAt', '', 'readyAt', '', 'quarantineUntil', untilField, 'quarantineReason', ARGV[2], 'updatedAt', now)
return redis.call('HGETALL', KEYS[5])

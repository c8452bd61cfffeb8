--[[
  Return a quarantined profile to the pool now, with a clean failure streak.

  KEYS[1] members set
  KEYS[2] available zset
  KEYS[3] quarantine zset
  KEYS[4] the profile's hash
  ARGV[1] profile id
  ARGV[2] tag zset key prefix

  Returns: 1; -2 no such profile; -7 the profile is not quarantined.
]]
--- @include "common"

local id = ARGV[1]
if redis.call('SISMEMBER', KEYS[1], id) == 0 then return -2 end
if redis.call('HGET', KEYS[4], 'state') ~= 'quarantined' then return -7 end
local now = nowMs()
redis.call('ZREM', KEYS[3], id)
makeAvailable(KEYS[2], ARGV[2], KEYS[4], id, now)
redis.call('HSET', KEYS[4], 'failStreak', 0, 'updatedAt', now)
return 1

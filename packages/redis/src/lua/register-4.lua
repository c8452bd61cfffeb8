--[[
  Register a profile in a pool: it becomes available at once, ahead of every used profile
  (never used = least recently used, so its ready-at score is 0).

  KEYS[1] members set of the pool
  KEYS[2] available zset (id -> ready-at ms)
  KEYS[3] the profile's hash
  KEYS[4] pools set (names of pools that ever had a profile)  -- same slot not needed: see note
  ARGV[1] profile id
  ARGV[2] pool name
  ARGV[3] tags, comma-joined ('' for none)
  ARGV[4] provider ids, JSON
  ARGV[5] proxy, JSON ('' for none)
  ARGV[6] tag zset key prefix (tag appended)

  Returns: server time ms on success; -1 the profile is already registered in this pool.

  Note: KEYS[4] is the pool's own registry key `<prefix>:{pool:P}:meta`, not a global key, so the
  script stays within one hash slot on Redis Cluster.
]]
--- @include "common"

local id = ARGV[1]
if redis.call('SISMEMBER', KEYS[1], id) == 1 then return -1 end
local now = nowMs()
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'id', id, 'pool', ARGV[2], 'tags', ARGV[3], 'providerIds', ARGV[4],
  'proxy', ARGV[5], 'fence', 0, 'leases', 0, 'successes', 0, 'failures', 0, 'failStreak', 0,
  'lastReleasedAt', '', 'createdAt', now, 'updatedAt', now)
makeAvailable(KEYS[2], ARGV[6], KEYS[3], id, 0)
redis.call('SADD', KEYS[1], id)
redis.call('HSETNX', KEYS[4], 'createdAt', now)
return now

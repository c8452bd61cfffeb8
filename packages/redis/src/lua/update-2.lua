--[[
  Update a profile's tags, provider ids or proxy. Tags of an available profile move between the
  tag sets at once; a leased or quarantined profile gets its new tags when it returns to the pool.

  KEYS[1] the profile's hash
  KEYS[2] available zset
  ARGV[1] '1' to set tags, else '0'
  ARGV[2] tags, comma-joined
  ARGV[3] '1' to set provider ids, else '0'
  ARGV[4] provider ids, JSON
  ARGV[5] '1' to set the proxy, else '0'
  ARGV[6] proxy, JSON ('' for none)
  ARGV[7] tag zset key prefix

  Returns: 1 updated; -2 no such profile.
]]
--- @include "common"

if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local now = nowMs()
local id = redis.call('HGET', KEYS[1], 'id')
if ARGV[1] == '1' then
  local available = redis.call('HGET', KEYS[1], 'state') == 'available'
  local score = redis.call('ZSCORE', KEYS[2], id)
  if available then removeAvailable(KEYS[2], ARGV[7], KEYS[1], id) end
  redis.call('HSET', KEYS[1], 'tags', ARGV[2])
  if available and score then
    redis.call('ZADD', KEYS[2], score, id)
    for _, tag in ipairs(tagsOf(KEYS[1])) do redis.call('ZADD', ARGV[7] .. tag, score, id) end
  end
end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'providerIds', ARGV[4]) end
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'proxy', ARGV[6]) end
redis.call('HSET', KEYS[1], 'updatedAt', now)
return 1

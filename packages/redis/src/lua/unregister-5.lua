--[[
  Remove a profile from its pool. A leased profile is refused unless forced; forcing kills the
  lease (the holder's next renew or release is refused). The pool's fence counter is kept, so a
  profile registered again later still gets higher fences.

  KEYS[1] members set
  KEYS[2] available zset
  KEYS[3] leases zset
  KEYS[4] quarantine zset
  KEYS[5] the profile's hash
  ARGV[1] profile id
  ARGV[2] '1' to force
  ARGV[3] tag zset key prefix

  Returns: 1 removed; -2 no such profile; -3 leased and not forced.
]]
--- @include "common"

local id = ARGV[1]
if redis.call('SISMEMBER', KEYS[1], id) == 0 then return -2 end
if redis.call('HGET', KEYS[5], 'state') == 'leased' and ARGV[2] ~= '1' then return -3 end
removeAvailable(KEYS[2], ARGV[3], KEYS[5], id)
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
redis.call('SREM', KEYS[1], id)
redis.call('DEL', KEYS[5])
return 1

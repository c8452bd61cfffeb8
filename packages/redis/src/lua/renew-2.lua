--[[
  Extend a lease to now + ttl, for its holder only, and only while it has not expired.

  KEYS[1] leases zset
  KEYS[2] the profile's hash
  ARGV[1] profile id
  ARGV[2] token
  ARGV[3] ttl ms

  Returns: {expiresAt, now}; -5 not the holder (wrong token, released, reclaimed, revoked);
  -6 the lease expired (not yet reclaimed, but no longer renewable).
]]
--- @include "common"

local state, token, expires = unpack(redis.call('HMGET', KEYS[2], 'state', 'token', 'leaseExpiresAt'))
if state ~= 'leased' or token ~= ARGV[2] then return -5 end
local now = nowMs()
if tonumber(expires) <= now then return -6 end
local expiresAt = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', expiresAt, ARGV[1])
redis.call('HSET', KEYS[2], 'leaseExpiresAt', expiresAt)
return {expiresAt, now}

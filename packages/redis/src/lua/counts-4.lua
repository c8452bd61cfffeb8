--[[
  Count a pool's profiles by state, atomically (so the parts always add up to the whole).

  KEYS[1] members set
  KEYS[2] available zset
  KEYS[3] leases zset
  KEYS[4] quarantine zset

  Returns: {registered, availableNow, coolingDown, leased, quarantined, now}.
]]
--- @include "common"

local now = nowMs()
return {
  redis.call('SCARD', KEYS[1]),
  redis.call('ZCOUNT', KEYS[2], '-inf', now),
  redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf'),
  redis.call('ZCARD', KEYS[3]),
  redis.call('ZCARD', KEYS[4]),
  now,
}

--[[
  Keep an item's slot on its site from lapsing (`site-acquire-3.lua`), by the Redis server's clock
  as the grant was. A holder that lapsed already is not brought back.

  KEYS[1] the site's holders: sorted set holder -> expiry (epoch ms)
  ARGV[1] holder
  ARGV[2] how long it lasts from now, ms
  Returns 1 when renewed, 0 when the holder was not there.
]]
--- @include "common"
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], nowMs() + tonumber(ARGV[2]), ARGV[1])
return 1

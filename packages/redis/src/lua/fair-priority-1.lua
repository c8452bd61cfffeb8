--[[
  An admin changes a batch's priority: its pending items move within their tenant's order (0: none,
  1 runs first). Items already in BullMQ keep their place.

  KEYS[1] the base, <prefix>:{fair}
  ARGV[1] batch id   ARGV[2] priority
  Returns 1 when the batch is known here, else 0.
]]
--- @include "fair"
local B, b = KEYS[1], ARGV[1]
local bk = B .. ':batch:' .. b
local meta = redis.call('HMGET', bk, 'q', 'tenant', 'seq')
if not meta[1] then return 0 end
redis.call('HSET', bk, 'prio', ARGV[2])
redis.call('ZADD', B .. ':batches:' .. meta[1] .. ':' .. meta[2], 'XX', fairRank(ARGV[2], meta[3]), b)
return 1

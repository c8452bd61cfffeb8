--[[
  A cancelled batch's pending items are dropped (none is handed to BullMQ from then on; items
  added later are refused). Repeating it is harmless.

  KEYS[1] the base, <prefix>:{fair}
  ARGV[1] batch id
  Returns {pending items dropped, tenant or ''}.
]]
local B, b = KEYS[1], ARGV[1]
local bk = B .. ':batch:' .. b
local meta = redis.call('HMGET', bk, 'q', 'tenant')
local dropped = 0
if meta[1] and meta[2] then
  dropped = redis.call('LLEN', B .. ':items:' .. b)
  redis.call('DEL', B .. ':items:' .. b)
  redis.call('ZREM', B .. ':batches:' .. meta[1] .. ':' .. meta[2], b)
  if dropped > 0 then
    redis.call('HINCRBY', B .. ':waiting', meta[2], -dropped)
    redis.call('HINCRBY', B .. ':queued', meta[1], -dropped)
  end
end
redis.call('HSET', bk, 'cancelled', 1)
redis.call('EXPIRE', bk, 86400)
return {dropped, meta[2] or ''}

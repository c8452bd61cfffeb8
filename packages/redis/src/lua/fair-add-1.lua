--[[
  A chunk of a batch's items joins its tenant's pending work (includes/fair.lua has the keys).
  Idempotent: items below the batch's high-water mark were added already (a resumed submit sends
  them again) and are skipped; a cancelled batch takes none.

  KEYS[1] the base, <prefix>:{fair}
  ARGV[1] queue   ARGV[2] tenant   ARGV[3] batch id   ARGV[4] weight   ARGV[5] cap (0: none)
  ARGV[6] priority (0: none; 1 runs first)   ARGV[7] BullMQ job options, JSON
  ARGV[8] the chunk's first item index   ARGV[9..] "<item id>\t<job JSON>", one per item
  Returns how many items were added.
]]
--- @include "fair"
local B, q, t, b = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
redis.call('HSET', B .. ':cfg:' .. t, 'weight', ARGV[4], 'cap', ARGV[5])
redis.call('SADD', B .. ':names', t)
local bk = B .. ':batch:' .. b
if redis.call('HGET', bk, 'cancelled') then return 0 end
local hwm = tonumber(redis.call('HGET', bk, 'hwm') or '-1')
if hwm < 0 then
  local seq = redis.call('INCR', B .. ':seq')
  redis.call('HSET', bk, 'q', q, 'tenant', t, 'opts', ARGV[7], 'prio', ARGV[6], 'seq', seq, 'hwm', 0)
  redis.call('PERSIST', bk)
  hwm = 0
end
local first = tonumber(ARGV[8])
local ik = B .. ':items:' .. b
local added = 0
for i = 9, #ARGV do
  if first + (i - 9) >= hwm then
    redis.call('RPUSH', ik, ARGV[i])
    added = added + 1
  end
end
local top = first + (#ARGV - 8)
if top > hwm then redis.call('HSET', bk, 'hwm', top) end
if added > 0 then
  local meta = redis.call('HMGET', bk, 'prio', 'seq')
  redis.call('ZADD', B .. ':batches:' .. q .. ':' .. t, fairRank(meta[1], meta[2]), b)
  redis.call('HINCRBY', B .. ':waiting', t, added)
  redis.call('HINCRBY', B .. ':queued', q, added)
  fairActivate(B, q, t)
end
return added

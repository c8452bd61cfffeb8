--[[
  Lease the least-recently-used available profile of a pool whose cooldown has passed (optionally
  one carrying every given tag). O(log N) without tags or with one tag; with several tags it walks
  the smallest tag set's ready profiles until one carries the others.
  Quarantines that have ended are returned to the pool first (at most 10 per call).

  KEYS[1] members set
  KEYS[2] available zset (id -> ready-at ms)
  KEYS[3] leases zset (id -> expires-at ms)
  KEYS[4] quarantine zset (id -> until ms)
  KEYS[5] fence counter of the pool (INCR: fences only rise, per profile and per pool)
  ARGV[1] profile hash key prefix (id appended)
  ARGV[2] tag zset key prefix (tag appended)
  ARGV[3] owner (worker id, for operators)
  ARGV[4] token (proves the holder)
  ARGV[5] ttl ms
  ARGV[6..] required tags (none: any profile)

  Returns: {id, fence, grantedAt, expiresAt} on success; 0 no profile free; -4 unknown pool.
]]
--- @include "common"

local now = nowMs()
returnDueQuarantined(KEYS[4], KEYS[2], ARGV[2], ARGV[1], now, 10)
-- Nothing free: say whether the pool exists at all (checked only here, off the common path).
local function none()
  if redis.call('SCARD', KEYS[1]) == 0 then return -4 end
  return 0
end

local id = nil
if #ARGV < 6 then
  id = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1)[1]
else
  -- Walk the smallest tag set; a member of every other tag set is available and carries them all.
  local smallest, size = nil, nil
  for i = 6, #ARGV do
    local n = redis.call('ZCARD', ARGV[2] .. ARGV[i])
    if n == 0 then return none() end
    if size == nil or n < size then smallest, size = ARGV[2] .. ARGV[i], n end
  end
  local offset, page = 0, 64
  while id == nil do
    local batch = redis.call('ZRANGEBYSCORE', smallest, '-inf', now, 'LIMIT', offset, page)
    if #batch == 0 then break end
    for _, candidate in ipairs(batch) do
      local all = true
      for i = 6, #ARGV do
        if redis.call('ZSCORE', ARGV[2] .. ARGV[i], candidate) == false then all = false; break end
      end
      if all then id = candidate; break end
    end
    offset = offset + page
  end
end
if id == nil then return none() end

local profileKey = ARGV[1] .. id
local fence = redis.call('INCR', KEYS[5])
local expiresAt = now + tonumber(ARGV[5])
removeAvailable(KEYS[2], ARGV[2], profileKey, id)
redis.call('ZADD', KEYS[3], expiresAt, id)
redis.call('HSET', profileKey, 'state', 'leased', 'owner', ARGV[3], 'token', ARGV[4], 'fence', fence,
  'grantedAt', now, 'leaseExpiresAt', expiresAt, 'readyAt', '', 'updatedAt', now)
redis.call('HINCRBY', profileKey, 'leases', 1)
return {id, fence, now, expiresAt}

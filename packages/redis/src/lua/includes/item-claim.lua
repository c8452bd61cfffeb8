-- Claim an item for one attempt (the rules: claim-3.lua). Shared by claim-3 and claim-publish-4.
--- @include "common"
local function claimItem(metaKey, resultsKey, claimsKey, index, fence, expiresAt)
  if redis.call('EXISTS', metaKey) == 0 then return -8 end
  if redis.call('HEXISTS', resultsKey, index) == 1 then return 2 end
  local status = redis.call('HGET', metaKey, 'status')
  if status == 'cancelled' then return 3 end
  local now = nowMs()
  if tonumber(expiresAt) <= now then return -9 end
  redis.call('HSET', claimsKey, index, fence .. ':' .. expiresAt)
  if status == 'queued' then
    redis.call('HSET', metaKey, 'status', 'running', 'startedAt', now)
  end
  return 1
end

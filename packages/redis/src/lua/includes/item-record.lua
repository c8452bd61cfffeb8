-- Record an item's result under its claim (the rules: record-3.lua). Shared by record-3 and
-- record-publish-6. Returns {code, total, completed, failed}.
--- @include "common"
local function batchProgress(metaKey, code)
  local total, completed, failed = unpack(redis.call('HMGET', metaKey, 'total', 'completed', 'failed'))
  return {code, tonumber(total) or 0, tonumber(completed) or 0, tonumber(failed) or 0}
end

local function recordItem(metaKey, resultsKey, claimsKey, index, fence, state, resultJson, retentionSec)
  if redis.call('EXISTS', metaKey) == 0 then return {-8, 0, 0, 0} end
  if redis.call('HEXISTS', resultsKey, index) == 1 then return batchProgress(metaKey, 0) end
  if redis.call('HGET', metaKey, 'status') == 'cancelled' then return batchProgress(metaKey, 3) end

  local now = nowMs()
  local current = redis.call('HGET', claimsKey, index)
  if fence == '-1' then
    -- abandoned by the queue: no claim check
  elseif fence == '0' then
    if current then
      local expires = tonumber(string.match(current, ':(%d+)$'))
      if expires > now then return batchProgress(metaKey, -9) end
    end
  else
    if not current then return batchProgress(metaKey, -9) end
    local held, expires = string.match(current, '^(%d+):(%d+)$')
    if held ~= fence or tonumber(expires) <= now then return batchProgress(metaKey, -9) end
  end

  redis.call('HSET', resultsKey, index, resultJson)
  redis.call('HINCRBY', metaKey, state, 1)
  local result = batchProgress(metaKey, 1)
  if result[3] + result[4] >= result[2] and redis.call('HGET', metaKey, 'status') ~= 'completed' then
    redis.call('HSET', metaKey, 'status', 'completed', 'finishedAt', now)
    for _, key in ipairs({metaKey, resultsKey, claimsKey}) do redis.call('EXPIRE', key, tonumber(retentionSec)) end
  end
  return result
end

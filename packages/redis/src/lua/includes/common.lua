-- Shared helpers, included (not pasted) into the profile-pool scripts by the loader.
-- Time comes from the Redis server, so every worker shares one clock and skew cannot stretch a lease.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Tags are stored comma-joined in the profile hash (tags cannot contain commas).
local function tagsOf(profileKey)
  local raw = redis.call('HGET', profileKey, 'tags')
  local tags = {}
  if raw then
    for tag in string.gmatch(raw, '[^,]+') do tags[#tags + 1] = tag end
  end
  return tags
end

-- Put a profile in the available set (and its tag sets) with the given ready-at score.
local function makeAvailable(availableKey, tagPrefix, profileKey, id, readyAt)
  redis.call('ZADD', availableKey, readyAt, id)
  for _, tag in ipairs(tagsOf(profileKey)) do
    redis.call('ZADD', tagPrefix .. tag, readyAt, id)
  end
  redis.call('HSET', profileKey, 'state', 'available', 'readyAt', readyAt,
    'owner', '', 'token', '', 'leaseExpiresAt', '', 'grantedAt', '', 'quarantineUntil', '', 'quarantineReason', '')
end

local function removeAvailable(availableKey, tagPrefix, profileKey, id)
  redis.call('ZREM', availableKey, id)
  for _, tag in ipairs(tagsOf(profileKey)) do
    redis.call('ZREM', tagPrefix .. tag, id)
  end
end

-- Return up to `limit` profiles whose quarantine has ended to the pool, with a clean streak.
local function returnDueQuarantined(quarantineKey, availableKey, tagPrefix, profilePrefix, now, limit)
  local due = redis.call('ZRANGEBYSCORE', quarantineKey, '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(due) do
    local profileKey = profilePrefix .. id
    redis.call('ZREM', quarantineKey, id)
    makeAvailable(availableKey, tagPrefix, profileKey, id, now)
    redis.call('HSET', profileKey, 'failStreak', 0, 'updatedAt', now)
  end
  return due
end

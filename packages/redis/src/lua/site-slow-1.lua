--[[
  A site answered 429 or 503: no item of it starts for a while, on any worker (README "Sharing a
  fleet"). The pause starts at 1 s and doubles with each such answer while the site is still
  paused or only just recovered, up to 60 s; `site-acquire-3.lua` forgets it once the site has
  been quiet for four pauses. The browser cannot read Retry-After (navigation timing has no
  headers), so the pause is this rule's, not the site's.

  KEYS[1] the site's state hash: backoffMs, backoffUntil (epoch ms)
  Returns the pause, ms.
]]
--- @include "common"
local now = nowMs()
local last = tonumber(redis.call('HGET', KEYS[1], 'backoffMs') or '0') or 0
local pause = 1000
if last > 0 then pause = math.min(last * 2, 60000) end
redis.call('HSET', KEYS[1], 'backoffMs', pause, 'backoffUntil', now + pause)
return pause

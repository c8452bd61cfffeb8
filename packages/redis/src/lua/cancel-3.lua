--[[
  Cancel a batch: from now on no item of it is claimed or recorded (claim, extend-claim and
  record refuse a cancelled batch). Results already recorded stay. The retention clock starts.

  KEYS[1] batch meta hash
  KEYS[2] results hash
  KEYS[3] claims hash
  ARGV[1] retention of a finished batch's keys, seconds

  Returns: 1 cancelled now; 2 already cancelled; 3 already completed (every item has its result);
  -8 no such batch.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -8 end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'cancelled' then return 2 end
if status == 'completed' then return 3 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finishedAt', now)
for i = 1, 3 do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], tonumber(ARGV[1])) end
end
return 1

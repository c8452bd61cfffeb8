--[[
  Note that an attempt on an item has started on a host, and learn on which hosts the item's
  earlier attempts vanished (their worker died or lost the job's lock: BullMQ's stalled-job check
  then counted a stall, `stc`, and put the job back). The previous take noted here is the one that
  vanished when the job's stall count went up since it and this take directly follows it
  (`attemptsStarted`, BullMQ's `ats`, one more): its host is added to the item's vanished hosts.
  A take that vanished before it could note itself is not attributed to anyone.
  The batch's status comes back too, so the take needs no second round trip to learn whether the
  batch was cancelled (DESIGN.md section 4, "The per-item Redis path").

  KEYS[1] the batch's stalls hash: '<index>' -> 'ats|stc|host' of the last noted take,
          '<index>:vanished' -> the hosts (newline separated, each once) where attempts vanished
  KEYS[2] the batch's meta hash (read only: its status)
  ARGV[1] item index
  ARGV[2] this take's attemptsStarted (BullMQ counts every take of the job, this one included)
  ARGV[3] the job's stall count as this take found it
  ARGV[4] this take's host
  ARGV[5] how long the hash stays after its last write, seconds

  Returns: {status, host...}: the batch's status ('' when the batch is unknown), then the hosts
  where the item's attempts vanished, each once (maybe none).
]]
local field = ARGV[1]
local vanishedField = field .. ':vanished'
local ats = tonumber(ARGV[2])
local stc = tonumber(ARGV[3])
local vanished = redis.call('HGET', KEYS[1], vanishedField) or ''

local last = redis.call('HGET', KEYS[1], field)
if last then
  local lastAts, lastStc, lastHost = string.match(last, '^(%d+)|(%d+)|(.*)$')
  if lastAts and stc > tonumber(lastStc) and ats == tonumber(lastAts) + 1 then
    local seen = false
    for host in string.gmatch(vanished, '[^\n]+') do
      if host == lastHost then seen = true end
    end
    if not seen then
      vanished = vanished == '' and lastHost or (vanished .. '\n' .. lastHost)
      redis.call('HSET', KEYS[1], vanishedField, vanished)
    end
  end
end

redis.call('HSET', KEYS[1], field, ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
local hosts = {redis.call('HGET', KEYS[2], 'status') or ''}
for host in string.gmatch(vanished, '[^\n]+') do hosts[#hosts + 1] = host end
return hosts

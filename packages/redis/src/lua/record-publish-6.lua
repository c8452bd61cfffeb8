--[[
  Record an item's result (exactly as record-3.lua) and, when this write is the item's result,
  append its `item.completed|failed` event with the batch's progress and, when it completes the
  batch, `batch.completed`, each under its dedupe marker (as publish-2.lua): one round trip instead
  of two or three, and no window between the result and its events. Single node or Sentinel only
  (the stream is in another slot than the batch's keys; on a Cluster record-3 and publish-2 run).
  DESIGN.md section 4, "The per-item Redis path".

  KEYS[1] batch meta hash
  KEYS[2] results hash
  KEYS[3] claims hash
  KEYS[4] event stream
  KEYS[5] dedupe marker of the item's done event
  KEYS[6] dedupe marker of the batch's batch.completed
  ARGV[1] item index
  ARGV[2] fence
  ARGV[3] 'completed' or 'failed'
  ARGV[4] result JSON
  ARGV[5] retention of a finished batch's keys, seconds
  ARGV[6] approximate MAXLEN of the stream
  ARGV[7] dedupe marker TTL, seconds
  ARGV[8] batch id
  ARGV[9], ARGV[10] the item event JSON before and after its `data.progress` value
  ARGV[11], ARGV[12] the batch.completed event JSON before and after its `data` value

  The progress is written as {"total":T,"completed":C,"failed":F}.
  Returns: as record-3.lua, {code, total, completed, failed}.
]]
--- @include "item-record"
--- @include "publish-once"
local result = recordItem(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
if result[1] == 1 then
  local progress = '{"total":' .. result[2] .. ',"completed":' .. result[3] .. ',"failed":' .. result[4] .. '}'
  publishOnce(KEYS[4], KEYS[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9] .. progress .. ARGV[10])
  if result[3] + result[4] >= result[2] then
    publishOnce(KEYS[4], KEYS[6], ARGV[6], ARGV[7], ARGV[8], ARGV[11] .. progress .. ARGV[12])
  end
end
return result

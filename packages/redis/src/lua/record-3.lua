--[[
  Record an item's result: the first result wins, each item is counted once, and a write is
  accepted only under the item's current claim and before that claim (= its lease) expires.
  Fence 0 records without a lease, allowed only when no live claim exists. Fence -1 records
  whatever the claims say: the queue gave the job up for good (attempts or stalls exhausted), so
  no attempt can be recording it legitimately any more; first result still wins.
  Nothing is recorded for a cancelled batch (results recorded before the cancel stay).
  The write that completes the batch marks it completed and starts the retention clock.

  KEYS[1] batch meta hash (total, completed, failed, status)
  KEYS[2] results hash
  KEYS[3] claims hash
  ARGV[1] item index
  ARGV[2] fence
  ARGV[3] 'completed' or 'failed'
  ARGV[4] result JSON
  ARGV[5] retention of a finished batch's keys, seconds

  Returns: {code, total, completed, failed}: code 1 recorded; 0 duplicate (an earlier result
  stands); 3 refused, the batch is cancelled; -8 no such batch; -9 stale (claim taken over or
  expired).
]]
--- @include "item-record"
return recordItem(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])

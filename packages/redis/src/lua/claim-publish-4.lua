--[[
  Claim a batch item (exactly as claim-3.lua) and, when the claim is made, append the attempt's
  `item.started` event to the stream in the same script: one round trip instead of two. Only on a
  single node or a Sentinel-managed master: the batch's keys and the stream are in different slots
  (`{batch:B}`, `{events}`), which a Cluster refuses in one script (there claim-3 runs, and the event
  is published on its own). DESIGN.md section 4, "The per-item Redis path".

  KEYS[1] batch meta hash
  KEYS[2] results hash
  KEYS[3] claims hash
  KEYS[4] event stream
  ARGV[1] item index
  ARGV[2] fence of the attempt's lease
  ARGV[3] the lease's expiry (epoch ms)
  ARGV[4] approximate MAXLEN of the stream
  ARGV[5] batch id
  ARGV[6] the item.started event JSON

  Returns: as claim-3.lua (1 claimed, and then the event is on the stream; 2 recorded already;
  3 cancelled; -8 no such batch; -9 stale).
]]
--- @include "item-claim"
local code = claimItem(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])
if code == 1 then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', 'b', ARGV[5], 'e', ARGV[6])
end
return code

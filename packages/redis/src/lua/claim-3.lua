--[[
  Claim a batch item for one attempt, identified by its lease's fence (fences come from the pool's
  counter: no two leases ever share one). The queue hands a job to one attempt at a time, so the
  latest claim wins: it takes over from an earlier attempt, whose extensions and writes are then
  refused. Fence order says nothing about attempt order (a warm profile keeps an old lease, with a
  low fence, across many items), so it is not compared. A claim under a lease that has already
  expired is refused: its holder was paused past its TTL and must not unseat the current attempt.

  KEYS[1] batch meta hash
  KEYS[2] results hash (index -> result JSON)
  KEYS[3] claims hash (index -> "fence:expiresAt")
  ARGV[1] item index
  ARGV[2] fence of the attempt's lease
  ARGV[3] the lease's expiry (epoch ms)

  Returns: 1 claimed; 2 the item already has its result; 3 the batch is cancelled;
  -8 no such batch; -9 stale (the attempt's lease expired before it could claim).
]]
--- @include "item-claim"
return claimItem(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])

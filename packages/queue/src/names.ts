/**
 * BullMQ queue names. The name is wrapped in a hash tag so every key of one queue lands in one
 * Redis Cluster slot (BullMQ's documented way: `<prefix>:{items}:wait`, `<prefix>:{items}:active`…).
 * The prefix is FLEET_PREFIX, so queues sit beside the fleet's other keys.
 */
export const ITEMS_QUEUE = '{items}';

/** The one job name on the items queue (checked at boot: exactly one handler per job name). */
export const ITEM_JOB = 'item';

/**
 * BullMQ queue names. The name is wrapped in a hash tag so every key of one queue lands in one
 * Redis Cluster slot (BullMQ's documented way: `<prefix>:{items}:wait`, `<prefix>:{items}:active`…).
 * The prefix is FLEET_PREFIX, so queues sit beside the fleet's other keys.
 */
export const ITEMS_QUEUE = '{items}';

/** The one job name on the items queue (checked at boot: exactly one handler per job name). */
export const ITEM_JOB = 'item';

/**
 * The queue of one code scenario's items (`name@version`): only workers that loaded it consume it,
 * so an item goes only to a worker that has its scenario. Its own hash tag, like `{items}`.
 */
export function scenarioQueueName(scenarioId: string): string {
  return `{items.${scenarioId}}`;
}

/** The scenario (`name@version`) of a queue name, or null for the items queue (or any other). */
export function scenarioOfQueue(queueName: string): string | null {
  const match = /^\{items\.(.+)\}$/.exec(queueName);
  return match ? match[1]! : null;
}

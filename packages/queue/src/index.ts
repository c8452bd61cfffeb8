export {
  FairDispatcher,
  type FairDispatcherOptions,
  FairItemQueue,
  fairQueueName,
  fairSlotOf,
  NO_TENANT,
} from './fair.js';
export {
  ADD_CHUNK,
  BullItemQueue,
  createItemsQueue,
  enqueueItems,
  ItemQueues,
  type ItemsQueue,
  removeBatchItemIds,
  removeBatchItems,
} from './items-queue.js';
export { createItemsWorker, type ItemProcessor, type ItemsWorkerOptions } from './items-worker.js';
export { ITEM_JOB_DEFAULTS, type ItemJobDefaults, itemJobOptions } from './job-options.js';
export { ITEM_JOB, ITEMS_QUEUE, scenarioOfQueue, scenarioQueueName } from './names.js';
export { SharedSlots } from './shared-slots.js';

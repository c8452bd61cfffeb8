export { type WorkerSettings, workerSchema, workerSettings } from './config.js';
export { createItemProcessor, type ProcessorOptions } from './item-processor.js';
export { providerClient } from './provider.js';
export { type RunningWorker, startWorker, type WorkerOverrides } from './worker.js';

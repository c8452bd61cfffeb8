export { type WorkerSettings, workerSchema } from './config.js';
export { createItemProcessor, type ProcessorOptions } from './item.processor.js';
export { providerClient } from './provider.js';
export { type RunningWorker, startWorker, type WorkerOverrides } from './worker.js';

export { type ApiSettings, apiSchema } from './config.js';
export type { ApiContext, ProfileSource } from './context.js';
export { type QueueDemand, queueDemand } from './routes/metrics-routes.js';
export { type ApiDeps, buildServer } from './server.js';

export {
  type ConnectionOptions,
  type ConnectionRole,
  checkEvictionPolicy,
  createRedis,
  type LoggerLike,
  roleOptions,
  waitReady,
} from './connection.js';
export { Keys, type PoolKeys } from './keys.js';
export { RedisProfileStore } from './profile.store.js';
export { ScriptCode, scriptError } from './script-errors.js';
export { defineScripts, loadScripts } from './scripts.js';

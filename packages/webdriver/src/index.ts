export { FileArtifactStore, isArtifactId, type SweepOptions } from './artifact-store.js';
export type { DriverErrorCode } from './driver-errors.js';
export { MAX_CHECKPOINT_BYTES } from './scenario-context.js';
export {
  MAX_DATA_BYTES,
  ScenarioDriver,
  type ScenarioDriverOptions,
  scenarioFailure,
} from './scenario-driver.js';
export type { DriverLogLevel } from './session.js';
export { WebdriverioDriver, type WebdriverioDriverOptions } from './webdriverio-driver.js';

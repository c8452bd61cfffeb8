export { FileArtifactStore, isArtifactId, type SweepOptions } from './artifact-store.js';
export type { DriverErrorCode } from './driver-errors.js';
export type { DriverLogLevel } from './session.js';
export { WebdriverioDriver, type WebdriverioDriverOptions } from './webdriverio-driver.js';

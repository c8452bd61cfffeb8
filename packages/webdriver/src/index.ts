export { FileArtifactStore, isArtifactId } from './artifact-store.js';
export type { DriverErrorCode } from './driver-errors.js';
export { effectivePort, PrivateTargetGuard } from './private-target-guard.js';
export type { DriverLogLevel } from './session.js';
export type { TargetGuard } from './target-guard.js';
export {
  type AllowedTarget,
  allowedTargetProblem,
  type Lookup,
  parseAllowedTarget,
  TargetPolicy,
  type TargetPolicyOptions,
  type Verdict,
} from './target-policy.js';
export { type TargetSettings, targetSchema } from './targets.js';
export { WebdriverioDriver, type WebdriverioDriverOptions } from './webdriverio-driver.js';

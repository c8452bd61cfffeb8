// @fleet/targets: which URLs a browser driven by Fleet may visit (BLOCK_PRIVATE_TARGETS,
// ALLOWED_TARGETS). No browser here: the worker's driver asks the guard before a goto, the
// launcher's relay asks the policy for every request its browsers make.
export { effectivePort, PrivateTargetGuard } from './private-target-guard.js';
export { httpTarget, type TargetGuard, urlForMessage } from './target-guard.js';
export {
  type AllowedTarget,
  allowedTargetProblem,
  type Lookup,
  parseAllowedTarget,
  TargetPolicy,
  type TargetPolicyOptions,
  type Verdict,
} from './target-policy.js';
export { type TargetSettings, targetSchema } from './target-settings.js';

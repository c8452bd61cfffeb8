export { type ErrorBody, errorBodySchema, zodDetails } from './error-body.js';
export { EVENT_TYPES, type EventType, type FleetEvent, fleetEventSchema } from './events.js';
export {
  batchIdSchema,
  ITEM_TIMEOUT_MS_DEFAULT,
  type ItemError,
  type ItemJob,
  type ItemJobInput,
  type ItemResult,
  itemErrorSchema,
  itemId,
  itemJobSchema,
  itemResultSchema,
  parseItemId,
  poolSelectorSchema,
  STEP_TIMEOUT_MS_DEFAULT,
} from './item.js';
export {
  isHttpUrl,
  MAX_SLEEP_MS,
  MAX_STEP_TIMEOUT_MS,
  MAX_STEPS,
  type Step,
  type StepKind,
  stepKind,
  stepSchema,
  stepsSchema,
} from './steps.js';
export { type ItemVars, interpolateSteps, type VarProblem, varsUsed } from './vars.js';

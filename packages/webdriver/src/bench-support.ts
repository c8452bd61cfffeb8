// Bench-only (`@fleet/webdriver/bench-support`, not exported from index.ts): the step runner's
// parts, for apps/worker/bench/pipeline.bench.ts to time the interpreter against its first edition
// on one attached session.

// The peer bench's hand-written loop (apps/worker/bench/peers.bench.ts) drives plain WebdriverIO.
export { remote } from 'webdriverio';
export { toDomainError } from './driver-errors.js';
export { RunLimits } from './run-limits.js';
export { attachSession, endSession, type Session } from './session.js';
export { runStep, type StepContext, stepTimeoutOf } from './step-actions.js';
export { type RunContext, runSteps } from './step-runner.js';

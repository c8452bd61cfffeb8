import type { LoggerPort } from '@fleet/core';
import type { PressureCheck } from '@fleet/metrics';
import type { SharedSlots } from '@fleet/queue';
import type { HostReadings } from './host-readings.js';
import type { PressureGate, PressureState } from './pressure-gate.js';

export interface PressureChecksOptions {
  gate: PressureGate;
  readings: Pick<HostReadings, 'sample'>;
  slots: SharedSlots;
  metrics: { pressureChecked(check: PressureCheck): void };
  everyMs: number;
  logger: LoggerPort;
}

/** The running checks; `gate` takes new thresholds at runtime (tests, an operator's tooling). */
export interface PressureChecks {
  gate: PressureGate;
  /** One check now (the timer runs them every `everyMs`). */
  check(): PressureState;
  stop(): void;
}

/**
 * Every `everyMs`: read the host, let the gate decide, and give the worker's queues that many
 * slots (SharedSlots: running items finish, none starts past the limit; at 0 the BullMQ workers
 * are paused). With both thresholds off the readings are still exported and the slots stay whole.
 */
export function startPressureChecks(options: PressureChecksOptions): PressureChecks {
  const { gate, readings, slots, metrics, logger } = options;
  // Logged when the gate shuts (no new item at all) and opens again, not at every halving: on a
  // host at its knee the slots go up and down every few seconds, which /metrics shows.
  let shut = false;
  const check = () => {
    const state = gate.observe(readings.sample(), slots.busy);
    slots.setLimit(state.slots);
    metrics.pressureChecked(state);
    if ((state.slots === 0) !== shut) {
      shut = state.slots === 0;
      const fields = { ...state.reading, over: state.over, busy: slots.busy };
      if (shut) logger.warn(fields, 'host under pressure: taking no new item');
      else logger.info(fields, 'host pressure relieved: taking items again');
    }
    return state;
  };
  check();
  const timer = setInterval(check, options.everyMs);
  timer.unref();
  return { gate, check, stop: () => clearInterval(timer) };
}

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
 * are paused). With both thresholds
 * off the readings are still exported and the slots stay whole.
 */
export function startPressureChecks(options: PressureChecksOptions): PressureChecks {
  const { gate, readings, slots, metrics, logger } = options;
  let wasOver = false;
  const check = () => {
    const state = gate.observe(readings.sample(), slots.busy);
    slots.setLimit(state.slots);
    metrics.pressureChecked(state);
    const over = state.over.cpu || state.over.memory;
    if (over !== wasOver) {
      const fields = { ...state.reading, slots: state.slots, ceiling: state.ceiling };
      if (over) logger.warn(fields, 'host under pressure: taking no new item');
      else logger.info(fields, 'host pressure relieved: taking items again');
      wasOver = over;
    }
    return state;
  };
  check();
  const timer = setInterval(check, options.everyMs);
  timer.unref();
  return { gate, check, stop: () => clearInterval(timer) };
}

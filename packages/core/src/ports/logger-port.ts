/**
 * The one logger shape Fleet's code writes to: pino's `(obj, msg)` signature, so a pino logger
 * from @fleet/logger (or a child of one) fits without the caller importing pino. Core,
 * @fleet/config's runUntilSignal, the Redis adapters, the Multilogin client and the notifier all
 * take this port.
 */
export interface LoggerPort {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The logging core needs: pino's shape, without importing pino. */
export interface LoggerPort {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

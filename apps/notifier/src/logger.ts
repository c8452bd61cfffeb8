/** What the notifier needs of a logger (a pino logger from @fleet/logger fits). */
export interface NotifierLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

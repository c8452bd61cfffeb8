export type { Logger } from 'pino';
export { componentLogger, createLogger, type LoggerOptions } from './create-logger.js';
export { REDACT_CENSOR, REDACT_PATHS, redactUrl } from './redaction.js';

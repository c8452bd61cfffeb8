export type { Logger } from 'pino';
export { componentLogger, createLogger, type LoggerOptions, serializeRequest } from './create-logger.js';
export { REDACT_CENSOR, REDACT_PATHS, redactQuery, redactUrl } from './redaction.js';

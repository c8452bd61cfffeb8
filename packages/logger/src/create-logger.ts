import { context, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type LevelWithSilentOrString, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { REDACT_CENSOR, REDACT_PATHS, redactQuery, redactUrl } from './redaction.js';

export interface LoggerOptions {
  /** The process or app name, on every line (`name`). */
  name: string;
  /** Lowest level logged: fatal, error, warn, info, debug, trace or silent. */
  level: LevelWithSilentOrString;
  /** Human-readable lines instead of JSON; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go instead of stdout (tests). */
  destination?: DestinationStream | NodeJS.WritableStream;
}

interface LoggedRequest {
  method?: unknown;
  url?: unknown;
  host?: unknown;
  ip?: unknown;
  headers?: Record<string, unknown>;
  socket?: { remoteAddress?: unknown; remotePort?: unknown } | null;
}

/**
 * `req` on a log line: a request object (Fastify's, or Node's) as Fastify logs it — method, url,
 * host, remote address — with credentials in its URL masked (`redactQuery`, `redactUrl`). This
 * replaces Fastify's own `req` serializer, which logs the URL with its query string as sent. A
 * plain object logged as `req` keeps its fields (its `url` masked the same way).
 */
export function serializeRequest(req: unknown): unknown {
  if (typeof req !== 'object' || req === null) return req;
  const r = req as LoggedRequest;
  const url = typeof r.url === 'string' ? redactUrl(redactQuery(r.url)) : r.url;
  if (Object.getPrototypeOf(r) === Object.prototype) return 'url' in r ? { ...r, url } : r;
  return {
    method: r.method,
    url,
    version: r.headers?.['accept-version'],
    host: r.host ?? r.headers?.host,
    remoteAddress: r.ip ?? r.socket?.remoteAddress,
    remotePort: r.socket?.remotePort,
  };
}

/**
 * The one way Fleet processes make a logger: JSON lines on stdout (pretty in a terminal), secrets
 * under `REDACT_PATHS` replaced by `[redacted]`, errors under `err` serialized with their stack.
 */
export function createLogger({
  name,
  level,
  pretty: prettyOutput = process.stdout.isTTY === true,
  destination,
}: LoggerOptions): Logger {
  const options = {
    name,
    level,
    redact: { paths: [...REDACT_PATHS], censor: REDACT_CENSOR },
    serializers: { err: pino.stdSerializers.err, req: serializeRequest },
    mixin: traceIds,
  };
  if (prettyOutput) {
    // pino-pretty as a stream in this thread, not a transport: no worker thread, and with sync
    // writes to stdout the last lines before process.exit are not lost. Colors only on a terminal.
    const stream = destination
      ? pretty({ destination, colorize: false })
      : pretty({ destination: 1, sync: true });
    return pino(options, stream);
  }
  return destination ? pino(options, destination as DestinationStream) : pino(options);
}

/**
 * `trace_id` and `span_id` of the span active where the line is logged (OpenTelemetry, README
 * "Tracing"), so a log line finds its trace. With tracing off no context manager is registered,
 * the active context is always the root one and this returns an empty object (a new one each
 * line: pino merges the line's fields into it).
 */
export function traceIds(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const ids = span.spanContext();
  if (!trace.isSpanContextValid(ids)) return {};
  return { trace_id: ids.traceId, span_id: ids.spanId };
}

/** A child logger whose lines all carry `component`, e.g. `componentLogger(logger, 'lease')`. */
export function componentLogger(logger: Logger, component: string): Logger {
  return logger.child({ component });
}

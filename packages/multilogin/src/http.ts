import type { IncomingHttpHeaders } from 'node:http';
import { injectTraceHeaders, inSpan, SpanKind } from '@fleet/telemetry';
import got, { type Got } from 'got';
import { type CallContext, type EnvelopeStatus, errorFromTransport } from './errors.js';
import type { ResolvedOptions } from './options.js';

/** One HTTP answer, whatever its status. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown;
  ms: number;
}

export interface SendOptions {
  token?: string;
  searchParams?: Record<string, string>;
  json?: unknown;
  timeoutMs: number;
}

/**
 * One HTTP exchange through got, and nothing more: got's own retries are off and HTTP errors do
 * not throw, so the retry plan, re-authentication and error mapping live in this package where
 * tests can see them. A request that gets no answer throws a domain error (errors.ts).
 */
export class HttpTransport {
  private readonly got: Got;

  constructor(private readonly options: ResolvedOptions) {
    this.got = got.extend({
      throwHttpErrors: false,
      retry: { limit: 0 },
      followRedirect: false,
      responseType: 'text',
      https: { rejectUnauthorized: options.tlsVerify },
      headers: { accept: 'application/json', 'user-agent': 'fleet-multilogin' },
    });
  }

  baseUrl(service: 'api' | 'launcher'): string {
    return service === 'api' ? this.options.apiUrl : this.options.launcherUrl;
  }

  /**
   * One exchange inside a client span (`provider <operation>`, README "Tracing") whose
   * `traceparent` goes in the request's headers, so the launcher continues the item's trace.
   * Attributes name the method, the path (ids, never the query: it may carry credentials) and
   * the status; never a token or a body.
   */
  send(ctx: CallContext, send: SendOptions): Promise<Answer> {
    const attributes = {
      'http.request.method': ctx.method,
      'url.path': ctx.path,
      // The base URL without any user:password@ a setting may carry.
      'server.address': ctx.baseUrl.replace(/\/\/[^@/]*@/, '//'),
    };
    return inSpan(`provider ${ctx.operation}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const answer = await this.exchange(ctx, send);
      span.setAttribute('http.response.status_code', answer.status);
      return answer;
    });
  }

  private async exchange(ctx: CallContext, send: SendOptions): Promise<Answer> {
    const startedAt = Date.now();
    const headers: Record<string, string> = send.token ? { authorization: `Bearer ${send.token}` } : {};
    injectTraceHeaders(headers);
    try {
      const response = await this.got(`${ctx.baseUrl}${ctx.path}`, {
        method: ctx.method as 'GET' | 'POST',
        searchParams: send.searchParams,
        json: send.json,
        timeout: { request: send.timeoutMs, connect: this.options.timeouts.connectMs },
        headers,
      });
      const ms = Date.now() - startedAt;
      this.options.logger.debug(
        { operation: ctx.operation, method: ctx.method, path: ctx.path, status: response.statusCode, ms },
        'multilogin call answered',
      );
      return { status: response.statusCode, headers: response.headers, body: parseJson(response.body), ms };
    } catch (error) {
      const mapped = errorFromTransport(ctx, error);
      this.options.logger.debug(
        {
          operation: ctx.operation,
          method: ctx.method,
          path: ctx.path,
          code: mapped.code,
          ms: Date.now() - startedAt,
        },
        'multilogin call failed without an answer',
      );
      throw mapped;
    }
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The envelope's `status`, when the body is an envelope. */
export function envelopeStatus(body: unknown): EnvelopeStatus | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const status = (body as { status?: unknown }).status;
  return status && typeof status === 'object' ? (status as EnvelopeStatus) : undefined;
}

/** True when the envelope says success: an empty (or absent) `error_code`. */
export function envelopeOk(status: EnvelopeStatus | undefined): boolean {
  return !status || status.error_code === undefined || status.error_code === null || status.error_code === '';
}

import { type FleetError, NonRetryableError } from '@fleet/core';
import { NoCredentialsError, type TokenManager } from './auth.js';
import {
  authFailedError,
  badAnswerError,
  type CallContext,
  describeAnswer,
  errorFromAnswer,
} from './errors.js';
import { type Answer, envelopeOk, envelopeStatus, type HttpTransport } from './http.js';
import type { ResolvedOptions } from './options.js';
import { parseRetryAfter, withRetry } from './retry.js';

/** One provider call, described. */
export interface CallSpec {
  operation: string;
  service: 'api' | 'launcher';
  method: 'GET' | 'POST';
  path: string;
  searchParams?: Record<string, string>;
  json?: unknown;
  /** Send a bearer token (and re-authenticate once on 401/403). */
  auth: boolean;
  /**
   * Safe to repeat after 5xx, timeouts and dropped connections. Any call is repeated after a 429 or
   * a refused connection (the provider did not act), unless `noRetry`.
   */
  idempotent: boolean;
  /** One attempt only: the caller's own retry covers it (sign-in, refresh). */
  noRetry?: boolean;
  /** Wait out CORE_DOWNLOADING_* answers (start only). */
  waitForCore?: boolean;
  timeoutMs?: number;
}

const REFUSED = new Set([401, 403]);

/**
 * Runs calls: token, one HTTP exchange, one fresh sign-in after a refusal, the retry plan, and the
 * envelope unwrapped into `data` or a domain error. Every client method goes through `run`.
 */
export class ProviderCaller {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly transport: HttpTransport,
    private readonly tokens: TokenManager,
  ) {}

  /** The envelope's `data` of a successful call (may be null). */
  async run(spec: CallSpec): Promise<unknown> {
    const ctx = this.context(spec);
    let reauthenticated = false;
    return withRetry(
      {
        policy: spec.noRetry ? { ...this.options.retry, attempts: 1 } : this.options.retry,
        idempotent: spec.idempotent,
        waitForCore: spec.waitForCore ?? false,
        onRetry: ({ attempt, delayMs, error }) =>
          this.options.logger.warn(
            {
              operation: spec.operation,
              attempt,
              delayMs,
              code: error.code,
              retryAfterMs: error.retryAfterMs,
            },
            'multilogin call will be retried',
          ),
      },
      async () => {
        let token = spec.auth ? await this.token(ctx, () => this.tokens.token()) : undefined;
        let answer = await this.transport.send(ctx, this.sendOptions(spec, token));
        if (spec.auth && REFUSED.has(answer.status)) {
          if (reauthenticated || !this.tokens.canSignIn) throw authFailedError(ctx, this.said(ctx, answer));
          reauthenticated = true;
          this.options.logger.info(
            { operation: spec.operation, status: answer.status },
            'multilogin token refused',
          );
          const refused = token;
          token = await this.token(ctx, () => this.tokens.renewAfterRefusal(refused));
          answer = await this.transport.send(ctx, this.sendOptions(spec, token));
          if (REFUSED.has(answer.status)) {
            throw authFailedError(ctx, `${this.said(ctx, answer)}, again after signing in afresh`);
          }
        }
        return this.unwrap(ctx, answer);
      },
    ).catch((error: unknown) => {
      this.logFailure(spec, error);
      throw error;
    });
  }

  /** Turn an answer into its `data`, or throw the mapped domain error. */
  private unwrap(ctx: CallContext, answer: Answer): unknown {
    const status = envelopeStatus(answer.body);
    const ok = answer.status >= 200 && answer.status < 300;
    if (ok && envelopeOk(status)) {
      if (answer.body === undefined || typeof answer.body !== 'object' || answer.body === null) {
        throw badAnswerError(ctx, answer.status, 'the body is not a JSON envelope');
      }
      return (answer.body as { data?: unknown }).data ?? null;
    }
    const httpStatus =
      ok && typeof status?.http_code === 'number' && status.http_code >= 400
        ? status.http_code
        : answer.status;
    throw errorFromAnswer(ctx, httpStatus, status, parseRetryAfter(answer.headers['retry-after']));
  }

  private said(ctx: CallContext, answer: Answer): string {
    return describeAnswer(ctx, answer.status, envelopeStatus(answer.body)).said;
  }

  private async token(ctx: CallContext, get: () => Promise<string>): Promise<string> {
    try {
      return await get();
    } catch (error) {
      if (error instanceof NoCredentialsError) throw authFailedError(ctx, error.why);
      // A refused sign-in is a credentials problem whatever code the provider chose for it.
      if (error instanceof NonRetryableError && error.code !== 'PROVIDER_BAD_ANSWER')
        throw authFailedError(ctx, `sign-in refused: ${error.code}`);
      throw error;
    }
  }

  private sendOptions(spec: CallSpec, token: string | undefined) {
    return {
      token,
      searchParams: spec.searchParams,
      json: spec.json,
      timeoutMs: spec.timeoutMs ?? this.options.timeouts.requestMs,
    };
  }

  private context(spec: CallSpec): CallContext {
    return {
      operation: spec.operation,
      service: spec.service,
      method: spec.method,
      path: spec.path,
      baseUrl: this.transport.baseUrl(spec.service),
      scrub: (text) => this.tokens.scrub(text),
    };
  }

  private logFailure(spec: CallSpec, error: unknown): void {
    const e = error as Partial<FleetError>;
    this.options.logger.warn(
      { operation: spec.operation, code: e.code, kind: e.kind, details: e.details },
      'multilogin call failed',
    );
  }
}

import { createHash } from 'node:crypto';
import type { LoggerPort } from '@fleet/core';

/** What sign-in and refresh answer. */
export interface TokenGrant {
  token: string;
  refreshToken?: string;
}

/** The two calls the token manager needs; the client supplies them (they go through its transport). */
export interface AuthCalls {
  signIn(email: string, passwordMd5: string): Promise<TokenGrant>;
  refresh(email: string, refreshToken: string, workspaceId: string): Promise<TokenGrant>;
}

export interface Credentials {
  email: string | undefined;
  password: string | undefined;
  automationToken: string | undefined;
  workspaceId: string | undefined;
}

/** Multilogin's tokens live 30 minutes; used when a token is not a JWT with `exp`. */
export const TOKEN_LIFE_MS = 30 * 60_000;

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** The claims of a JWT, or undefined when the token is not one (no signature check: we only read). */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (token.split('.').length !== 3 || !part) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** When a token stops being accepted: its JWT `exp`, else 30 minutes after it was issued. */
export function tokenExpiry(token: string, issuedAt: number, fallbackLifeMs = TOKEN_LIFE_MS): number {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : issuedAt + fallbackLifeMs;
}

interface Cached {
  token: string;
  refreshToken: string | undefined;
  issuedAt: number;
  expiresAt: number;
}

/** Raised when no credential can produce a token; the client turns it into MULTILOGIN_AUTH_FAILED. */
export class NoCredentialsError extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'NoCredentialsError';
  }
}

/**
 * Holds the bearer token: signs in (email + MD5 of the password) or uses the automation token,
 * refreshes before expiry, and signs in afresh after a refusal. Concurrent callers share one
 * in-flight sign-in (single flight), so 50 workers starting at once cost one sign-in, not 50.
 */
export class TokenManager {
  private cached: Cached | undefined;
  private inflight: Promise<string> | undefined;
  private automationRefused = false;
  private readonly secrets = new Set<string>();

  constructor(
    private readonly creds: Credentials,
    private readonly calls: AuthCalls,
    private readonly logger: LoggerPort,
    private readonly now: () => number = Date.now,
  ) {
    if (creds.password) {
      this.remember(creds.password);
      this.remember(md5Hex(creds.password));
    }
    if (creds.automationToken) this.remember(creds.automationToken);
  }

  get canSignIn(): boolean {
    return Boolean(this.creds.email && this.creds.password);
  }

  /** A token good for the next call. */
  token(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < refreshAt(cached)) return Promise.resolve(cached.token);
    return this.singleFlight(() => this.obtain());
  }

  /**
   * The provider refused `refused`: get a different token by a fresh sign-in, unless another caller
   * already did (then share its token).
   */
  renewAfterRefusal(refused: string | undefined): Promise<string> {
    if (this.cached && this.cached.token !== refused) return Promise.resolve(this.cached.token);
    if (this.inflight) return this.inflight;
    if (refused !== undefined && refused === this.creds.automationToken) this.automationRefused = true;
    this.cached = undefined;
    return this.singleFlight(() => this.signIn('refused'));
  }

  /** Replace every known secret in `text` (errors and logs pass through this). */
  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  }

  private singleFlight(run: () => Promise<string>): Promise<string> {
    if (!this.inflight) {
      this.inflight = run().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async obtain(): Promise<string> {
    const cached = this.cached;
    // The refresh token outlives the access token: it is worth a try even after expiry.
    if (cached?.refreshToken && this.creds.email) {
      try {
        const grant = await this.calls.refresh(
          this.creds.email,
          cached.refreshToken,
          this.workspaceId(cached),
        );
        this.logger.info({}, 'multilogin token refreshed');
        return this.store(grant);
      } catch (error) {
        // A refused refresh is not the end: a fresh sign-in may still work.
        this.logger.warn(
          { code: (error as { code?: string }).code },
          'multilogin token refresh failed; signing in',
        );
      }
    }
    this.cached = undefined;
    const automation = this.creds.automationToken;
    if (automation && !this.automationRefused) {
      const issuedAt = this.now();
      // An automation token is long-lived: trust its `exp` if it has one, else until it is refused.
      const expiresAt = tokenExpiry(automation, issuedAt, Number.POSITIVE_INFINITY);
      this.cached = { token: automation, refreshToken: undefined, issuedAt, expiresAt };
      return automation;
    }
    return this.signIn('no token');
  }

  private async signIn(why: string): Promise<string> {
    const { email, password } = this.creds;
    if (!email || !password) {
      throw new NoCredentialsError(
        this.creds.automationToken ? 'the automation token was refused' : 'no credentials are configured',
      );
    }
    const grant = await this.calls.signIn(email, md5Hex(password));
    this.logger.info({ reason: why }, 'multilogin signed in');
    return this.store(grant);
  }

  private store(grant: TokenGrant): string {
    const issuedAt = this.now();
    this.remember(grant.token);
    if (grant.refreshToken) this.remember(grant.refreshToken);
    this.cached = {
      token: grant.token,
      refreshToken: grant.refreshToken,
      issuedAt,
      expiresAt: tokenExpiry(grant.token, issuedAt),
    };
    return grant.token;
  }

  private workspaceId(cached: Cached): string {
    if (this.creds.workspaceId) return this.creds.workspaceId;
    const claims = jwtClaims(cached.token);
    const id = claims?.workspaceID ?? claims?.workspace_id ?? claims?.workspaceId;
    return typeof id === 'string' ? id : '';
  }

  private remember(secret: string): void {
    // Very short strings would redact ordinary words; real secrets are long.
    if (secret.length >= 6) this.secrets.add(secret);
  }
}

/**
 * Refresh a little before expiry: 20% of the token's life, at most 5 minutes (a 30-minute token is
 * renewed after 25 minutes), so clock skew and a slow call do not meet an expired token.
 */
function refreshAt(cached: Cached): number {
  if (!Number.isFinite(cached.expiresAt)) return Number.POSITIVE_INFINITY;
  const life = Math.max(0, cached.expiresAt - cached.issuedAt);
  return cached.expiresAt - Math.min(5 * 60_000, life * 0.2);
}

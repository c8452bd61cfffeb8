import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { LauncherError } from './envelope.js';
import { readJsonFile, writeJsonFileSync } from './state-file.js';

export type TokenKind = 'access' | 'refresh' | 'automation';

export interface TokenClaims {
  sub: string;
  email: string;
  workspaceID: string;
  kind: TokenKind;
  jti: string;
  iat: number;
  /** Standard JWT expiry in whole seconds (rounded down), for clients that decode it. */
  exp?: number;
  /** Expiry in ms: what the launcher checks, so short test lifetimes are exact. */
  exp_ms?: number;
}

export interface TokenServiceOptions {
  dataDir: string;
  email: string;
  password: string;
  tokenTtlMs: number;
  refreshTtlMs?: number;
  now?: () => number;
}

/** Multilogin-style automation token lifetimes; `no_exp` never expires. */
const PERIOD = /^(\d{1,4})([mhdw])$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseExpirationPeriod(value: string): number | null {
  if (value === 'no_exp') return null;
  const match = PERIOD.exec(value);
  if (!match || Number(match[1]) === 0) {
    throw new LauncherError(
      'BAD_REQUEST',
      `expiration_period must be like "1h", "30d" or "no_exp" (got "${value.slice(0, 40)}")`,
    );
  }
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

const b64 = (value: Buffer | string) => Buffer.from(value).toString('base64url');
const md5Hex = (value: string) => createHash('md5').update(value, 'utf8').digest('hex');

function sameText(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

/**
 * Tokens are HS256 JWTs signed with a secret kept in `<dataDir>/auth.json` (mode 0600), so they
 * need no server-side table and survive a launcher restart — as Multilogin's do across its cloud.
 * Nothing here ever logs a token or the password.
 */
export class TokenService {
  readonly workspaceId: string;
  private readonly secret: Buffer;
  private readonly expectedPasswordMd5: string;
  private readonly now: () => number;

  constructor(private readonly options: TokenServiceOptions) {
    const file = join(options.dataDir, 'auth.json');
    let state = readJsonFile<{ secret: string; workspace_id: string }>(file);
    if (!state) {
      state = { secret: randomBytes(32).toString('hex'), workspace_id: randomUUID() };
      writeJsonFileSync(file, state, 0o600);
    }
    this.secret = Buffer.from(state.secret, 'hex');
    this.workspaceId = state.workspace_id;
    this.expectedPasswordMd5 = md5Hex(options.password);
    this.now = options.now ?? Date.now;
  }

  signIn(email: string, passwordMd5: string): { token: string; refresh_token: string } {
    const emailOk = sameText(email.trim().toLowerCase(), this.options.email.trim().toLowerCase());
    const passwordOk = sameText(passwordMd5.trim().toLowerCase(), this.expectedPasswordMd5);
    if (!emailOk || !passwordOk) {
      throw new LauncherError(
        'INVALID_CREDENTIALS',
        'wrong email or password (send the MD5 hex digest of the password)',
      );
    }
    return this.pair();
  }

  refresh(email: string, refreshToken: string): { token: string; refresh_token: string } {
    const claims = this.verify(refreshToken, ['refresh']);
    if (claims.email.toLowerCase() !== email.trim().toLowerCase()) {
      throw new LauncherError('UNAUTHORIZED', 'refresh token does not belong to this email: sign in again');
    }
    return this.pair();
  }

  automationToken(expirationPeriod: string): { token: string; expires_at: number | null } {
    const ttl = parseExpirationPeriod(expirationPeriod);
    const token = this.issue('automation', ttl);
    return { token, expires_at: ttl === null ? null : this.now() + ttl };
  }

  /** Checks a Bearer token (access or automation); throws UNAUTHORIZED with the reason. */
  verify(token: string, kinds: TokenKind[] = ['access', 'automation']): TokenClaims {
    const parts = token.split('.');
    const [header, payload, signature] = parts;
    if (parts.length !== 3 || !header || !payload || !signature) {
      throw new LauncherError('UNAUTHORIZED', 'malformed token: sign in again');
    }
    const expected = createHmac('sha256', this.secret).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new LauncherError('UNAUTHORIZED', 'invalid token: sign in again');
    }
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      throw new LauncherError('UNAUTHORIZED', 'malformed token: sign in again');
    }
    if (!kinds.includes(claims.kind)) {
      throw new LauncherError('UNAUTHORIZED', `a ${claims.kind} token cannot be used here`);
    }
    if (claims.email?.toLowerCase() !== this.options.email.trim().toLowerCase()) {
      throw new LauncherError('UNAUTHORIZED', 'token was issued for another account: sign in again');
    }
    if (claims.exp_ms !== undefined && claims.exp_ms <= this.now()) {
      throw new LauncherError('UNAUTHORIZED', 'token expired: refresh it or sign in again');
    }
    return claims;
  }

  private pair(): { token: string; refresh_token: string } {
    return {
      token: this.issue('access', this.options.tokenTtlMs),
      refresh_token: this.issue('refresh', this.options.refreshTtlMs ?? 7 * 86_400_000),
    };
  }

  private issue(kind: TokenKind, ttlMs: number | null): string {
    const now = this.now();
    const claims: TokenClaims = {
      sub: this.options.email,
      email: this.options.email,
      workspaceID: this.workspaceId,
      kind,
      jti: randomUUID(),
      iat: Math.floor(now / 1000),
    };
    if (ttlMs !== null) {
      claims.exp_ms = now + ttlMs;
      claims.exp = Math.floor(claims.exp_ms / 1000);
    }
    const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64(JSON.stringify(claims));
    const signature = createHmac('sha256', this.secret).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${signature}`;
  }
}

/** Reads `Authorization: Bearer <token>` and verifies it; throws UNAUTHORIZED otherwise. */
export function requireBearer(tokens: TokenService, request: FastifyRequest): TokenClaims {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new LauncherError('UNAUTHORIZED', 'missing "Authorization: Bearer <token>" header: sign in first');
  }
  return tokens.verify(match[1]);
}

import { jwtClaims, md5Hex, TOKEN_LIFE_MS, tokenExpiry } from './auth.js';

const jwt = (claims: object) =>
  `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

test('md5Hex is the lowercase hex digest Multilogin expects', () => {
  expect(md5Hex('password')).toBe('5f4dcc3b5aa765d61d8327deb882cf99');
});

test('a JWT expires at its exp; anything else 30 minutes after it was issued', () => {
  expect(tokenExpiry(jwt({ exp: 1_700_000_000 }), 0)).toBe(1_700_000_000_000);
  expect(tokenExpiry('opaque-token', 1000)).toBe(1000 + TOKEN_LIFE_MS);
  expect(tokenExpiry(jwt({ sub: 'x' }), 1000)).toBe(1000 + TOKEN_LIFE_MS);
  expect(tokenExpiry('a.%%%.c', 1000)).toBe(1000 + TOKEN_LIFE_MS);
  expect(jwtClaims(jwt({ workspaceID: 'w' }))).toEqual({ workspaceID: 'w' });
  expect(jwtClaims('not-a-jwt')).toBeUndefined();
});

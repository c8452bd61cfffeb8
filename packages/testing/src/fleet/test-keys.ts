/** An API key entry as FLEET_API_KEYS lists it. */
export interface TestKey {
  name: string;
  role: 'admin' | 'user';
  key: string;
}

/**
 * The API keys every test fleet is given: one admin, two tenants (each sees only its own batches),
 * and one more tenant a test may revoke without touching the others.
 */
export const TEST_KEYS: Readonly<Record<'ops' | 'acme' | 'other' | 'victim', TestKey>> = {
  ops: { name: 'ops', role: 'admin', key: 'ops-admin-key-0123456789abcdef' },
  acme: { name: 'acme', role: 'user', key: 'acme-user-key-0123456789abcdef' },
  other: { name: 'other', role: 'user', key: 'other-user-key-0123456789abcdef' },
  victim: { name: 'victim', role: 'user', key: 'victim-user-key-0123456789abcdef' },
};

/** The Authorization header for a key. */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

import {
  codesOf,
  ERROR_SURFACES,
  ERRORS,
  type ErrorCode,
  errorBody,
  errorBodySchema,
  isErrorCode,
} from './index.js';

const codes = Object.keys(ERRORS) as ErrorCode[];

describe('the error registry', () => {
  it('gives every code an error status, a message, what to do, and where it is met', () => {
    const bad = codes.filter((code) => {
      const spec = ERRORS[code];
      const where = Object.entries(spec.where);
      return (
        !/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(code) ||
        !Number.isInteger(spec.status) ||
        spec.status < 400 ||
        spec.status > 599 ||
        spec.message.trim() === '' ||
        spec.hint.trim() === '' ||
        where.length === 0 ||
        where.some(
          ([surface, when]) => !(ERROR_SURFACES as readonly string[]).includes(surface) || !when.trim(),
        )
      );
    });
    expect(bad).toEqual([]);
  });

  it('answers what the tests and READMEs have always said for the codes that once disagreed', () => {
    expect(ERRORS.UNKNOWN_POOL.status).toBe(400);
    expect(ERRORS.REDIS_UNAVAILABLE.status).toBe(503);
    expect(isErrorCode('UNAVAILABLE')).toBe(false); // the notifier says REDIS_UNAVAILABLE, like the API
  });

  it('tells registered codes from anything else', () => {
    expect(isErrorCode('BATCH_NOT_FOUND')).toBe(true);
    for (const other of ['batch_not_found', 'NOPE', '', 42, null, 'toString', '__proto__']) {
      expect([other, isErrorCode(other)]).toEqual([other, false]);
    }
  });

  it('lists the codes of a surface in registry order', () => {
    expect(codesOf('connect')).toEqual(['UNAUTHORIZED', 'KEY_REVOKED', 'REDIS_UNAVAILABLE']);
    expect(codesOf('subscribe')).toContain('TOO_MANY_SUBSCRIPTIONS');
    expect(codesOf('api')).not.toContain('TOO_MANY_SUBSCRIPTIONS');
    const all = new Set(ERROR_SURFACES.flatMap((surface) => codesOf(surface)));
    expect([...all].sort()).toEqual([...codes].sort());
  });

  it('builds the one error body, with the default message unless given one', () => {
    const body = errorBody('BATCH_TOO_LARGE');
    expect(body).toEqual({
      error: { code: 'BATCH_TOO_LARGE', message: ERRORS.BATCH_TOO_LARGE.message, details: [] },
    });
    expect(errorBodySchema.parse(body)).toEqual(body);
    expect(
      errorBody('UNKNOWN_POOL', 'pool "x" is empty', [{ field: 'pool', message: 'no such pool' }]),
    ).toEqual({
      error: {
        code: 'UNKNOWN_POOL',
        message: 'pool "x" is empty',
        details: [{ field: 'pool', message: 'no such pool' }],
      },
    });
  });
});

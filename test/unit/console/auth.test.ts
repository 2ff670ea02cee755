import { checkCsrf, identify, issueSession, readSession, type WebAuthOptions } from '../../../lib/console/web/auth';
import { CsrfTokenError, NotSignedInError } from '../../../lib/console/errors';

describe('console authentication (lib/console/web/auth.ts)', () => {
  const options: WebAuthOptions = { mode: 'token', secret: 'unit-test-secret-0123456789', sessionHours: 1 };

  it('should read back a session it issued, with its name', () => {
    const cookie = issueSession(options, 'Grace');

    expect(readSession(options, cookie)).toMatchObject({ name: 'Grace' });
  });

  it('should refuse an expired session and one signed with another key', () => {
    const cookie = issueSession(options, 'Grace', new Date(Date.now() - 2 * 3600_000));
    const other = issueSession({ ...options, secret: 'another-secret-0123456789' }, 'Grace');

    expect([readSession(options, cookie), readSession(options, other)]).toEqual([null, null]);
  });

  it('should give two sessions different CSRF tokens and refuse a wrong one', () => {
    const a = identify(options, { sessionCookie: issueSession(options, 'A') });
    const b = identify(options, { sessionCookie: issueSession(options, 'B') });

    expect(a.csrf).not.toBe(b.csrf);
    expect(() => checkCsrf(a, b.csrf)).toThrow(CsrfTokenError);
    expect(() => checkCsrf(a, undefined)).toThrow(CsrfTokenError);
    expect(() => checkCsrf(a, a.csrf)).not.toThrow();
  });

  it('should take the name from verified JWT claims in jwt mode and refuse a request without them', () => {
    const jwt = { ...options, mode: 'jwt' as const };

    expect(identify(jwt, { jwtClaims: { sub: 'u-1', email: 'op@example.org', iat: 1 } }).actor).toEqual({ name: 'op@example.org', via: 'web' });
    expect(() => identify(jwt, { authorization: `Bearer ${options.secret}` })).toThrow(NotSignedInError);
  });
});

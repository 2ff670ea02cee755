/**
 * The `console` function's job as API Gateway invokes it (HTTP API payload 2.0 through
 * hono/aws-lambda), in `jwt` mode: the caller's name comes from the claims the JWT authorizer
 * verified; without them the answer is 401; a POST still needs the CSRF token of that identity.
 */
import { eq } from 'drizzle-orm';
import type { LambdaEvent } from 'hono/aws-lambda';
import { consoleHttpJob, type ConsoleWebOptions } from '../../../lib/console/jobs';
import { consoleAudit } from '../../../lib/db/schema';
import { CONSOLE_TEST_TOKEN, createConsoleFixture, csrfOf, donorMessage, type ConsoleFixture } from '../../support/console';

jest.setTimeout(30_000);

type Result = { statusCode: number; body: string; headers?: Record<string, string> };

/** An HTTP API (payload 2.0) event as API Gateway sends it after a JWT authorizer. */
function httpApiEvent(method: string, rawPath: string, options: { claims?: Record<string, unknown>; form?: Record<string, string> } = {}): LambdaEvent {
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  return {
    version: '2.0',
    routeKey: 'ANY /console/{proxy+}',
    rawPath,
    rawQueryString: '',
    headers: { host: 'console.example.org', 'x-forwarded-proto': 'https', ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: 'console.example.org',
      domainPrefix: 'console',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: 'ANY /console/{proxy+}',
      stage: '$default',
      time: '02/Dec/2026:03:00:00 +0000',
      timeEpoch: Date.now(),
      ...(options.claims ? { authorizer: { jwt: { claims: options.claims, scopes: [] } } } : {}),
    },
    body,
    isBase64Encoded: false,
  } as unknown as LambdaEvent;
}

describe('the console function (jwt mode, HTTP API events)', () => {
  let f: ConsoleFixture;
  let options: ConsoleWebOptions;
  const claims = { sub: 'op-1', email: 'operator@example.org', iat: 1764640000 };
  const invoke = async (event: LambdaEvent) => (await consoleHttpJob.run(f.deps, options, event)) as Result;

  beforeAll(async () => {
    f = await createConsoleFixture();
    options = { ...f.options, auth: { mode: 'jwt', secret: CONSOLE_TEST_TOKEN, sessionHours: 1 } };
  });

  afterAll(async () => {
    await f.close();
  });

  it('should answer 401 when no verified JWT identity reached the function', async () => {
    const result = await invoke(httpApiEvent('GET', '/console/'));

    expect(result.statusCode).toBe(401);
  });

  it('should name the caller from the JWT claims and audit a mutation under that name', async () => {
    await f.damagedStore.insert({ queue: f.queues.other, body: JSON.stringify(donorMessage('jwt.1')), error: 'PermanentError: x' });
    const id = (await f.ops.searchDamaged({ orderId: 'jwt.1' })).rows[0]!.id;

    const page = await invoke(httpApiEvent('GET', `/console/damaged/${id}`, { claims }));
    const refused = await invoke(httpApiEvent('POST', `/console/damaged/${id}/delete`, { claims, form: { _csrf: 'forged' } }));
    const deleted = await invoke(httpApiEvent('POST', `/console/damaged/${id}/delete`, { claims, form: { _csrf: csrfOf(page.body) } }));

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('operator@example.org');
    expect([refused.statusCode, deleted.statusCode]).toEqual([403, 303]);
    const audit = await f.database.db.select().from(consoleAudit).where(eq(consoleAudit.action, 'damaged.delete'));
    expect(audit).toEqual([expect.objectContaining({ actor: 'operator@example.org', via: 'web' })]);
  });
});

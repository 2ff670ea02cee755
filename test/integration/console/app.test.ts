/**
 * The web console over HTTP (Hono's app.request, no server): sign-in, 401 and 403 refusals,
 * masked pages and downloads, and an audit row for every mutation. Real Redis and MariaDB.
 */
import { eq } from 'drizzle-orm';
import { recordAudit } from '../../../lib/console/audit';
import { consoleAudit, damaged } from '../../../lib/db/schema';
import { parseTrigger } from '../../../lib/pending/rectify-trigger';
import { recordGatewayRun } from '../../../lib/rectifier/run-history';
import { CONSOLE_TEST_TOKEN, createConsoleFixture, csrfOf, donorMessage, type ConsoleFixture } from '../../support/console';

jest.setTimeout(30_000);

describe('the web console (HTTP)', () => {
  let f: ConsoleFixture;
  let cookie: string;
  let csrf: string;

  const get = (path: string, headers: Record<string, string> = { cookie }) => f.app.request(path, { headers });
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = { cookie }) =>
    f.app.request(path, { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const auditRows = (action?: string) =>
    action ? f.database.db.select().from(consoleAudit).where(eq(consoleAudit.action, action)) : f.database.db.select().from(consoleAudit);
  const storeDamaged = async (queue: string, body: Record<string, unknown> | string, error = 'PermanentError: bad') => {
    await f.damagedStore.insert({ queue, body: typeof body === 'string' ? body : JSON.stringify(body), error });
    const rows = await f.database.db.select().from(damaged);
    return rows[rows.length - 1]!.id;
  };

  beforeAll(async () => {
    f = await createConsoleFixture();
    const login = await f.app.request('/console/login');
    const loginCookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const signedIn = await post('/console/login', { _csrf: csrfOf(await login.text()), name: 'Grace', token: CONSOLE_TEST_TOKEN }, { cookie: loginCookie });
    cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('console_session='))!.split(';')[0]!;
    csrf = csrfOf(await (await get('/console/')).text());
  });

  afterAll(async () => {
    await f.close();
  });

  describe('authentication', () => {
    it('should answer 401 to a request without a token or session', async () => {
      const response = await get('/console/damaged', {});

      expect(response.status).toBe(401);
    });

    it('should serve the queues page at /console with and without the trailing slash', async () => {
      const statuses = await Promise.all(['/console', '/console/'].map(async (p) => (await get(p)).status));
      const anonymous = await get('/console', {});

      expect([...statuses, anonymous.status]).toEqual([200, 200, 401]);
    });

    it('should answer 401 to a wrong bearer token and 200 to the right one', async () => {
      const wrong = await get('/console/', { authorization: 'Bearer not-the-console-token' });
      const right = await get('/console/', { authorization: `Bearer ${CONSOLE_TEST_TOKEN}` });

      expect([wrong.status, right.status]).toEqual([401, 200]);
    });

    it('should refuse a sign-in with a wrong token (401) and set an HttpOnly, SameSite=Strict session cookie for the right one', async () => {
      const login = await f.app.request('/console/login');
      const loginCookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const form = { _csrf: csrfOf(await login.text()), name: 'Grace' };

      const wrong = await post('/console/login', { ...form, token: 'wrong-token-wrong-token' }, { cookie: loginCookie });
      const right = await post('/console/login', { ...form, token: CONSOLE_TEST_TOKEN }, { cookie: loginCookie });

      expect(wrong.status).toBe(401);
      expect(right.status).toBe(303);
      const session = right.headers.getSetCookie().find((c) => c.startsWith('console_session='))!;
      expect(session).toMatch(/HttpOnly/);
      expect(session).toMatch(/SameSite=Strict/);
      expect(session).not.toContain(CONSOLE_TEST_TOKEN);
    });

    it('should refuse a forged session cookie with 401', async () => {
      const [nonce, issued, name] = cookie.replace('console_session=', '').split('.');
      const forged = `console_session=${nonce}.${issued}.${Buffer.from('Mallory').toString('base64url')}.${name}`;

      expect((await get('/console/', { cookie: forged })).status).toBe(401);
    });

    it('should forbid scripts and framing on every page', async () => {
      const response = await get('/console/');

      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    });
  });

  describe('CSRF', () => {
    it('should refuse a mutation without a CSRF token with 403, change nothing and audit nothing', async () => {
      const id = await storeDamaged(f.queues.other, { kind: 'csrf-missing' });
      const before = (await auditRows()).length;

      const response = await post(`/console/damaged/${id}/delete`, {});

      expect(response.status).toBe(403);
      expect(await f.database.db.select().from(damaged).where(eq(damaged.id, id))).toHaveLength(1);
      expect(await auditRows()).toHaveLength(before);
    });

    it('should refuse a mutation with another session\'s CSRF token with 403', async () => {
      const id = await storeDamaged(f.queues.other, { kind: 'csrf-wrong' });
      const bearerCsrf = csrfOf(await (await get(`/console/damaged/${id}`, { authorization: `Bearer ${CONSOLE_TEST_TOKEN}` })).text());

      const response = await post(`/console/damaged/${id}/delete`, { _csrf: bearerCsrf });

      expect(response.status).toBe(403);
    });
  });

  describe('damaged messages', () => {
    it('should mask donor personal data on the row page and in the JSON download', async () => {
      const id = await storeDamaged(f.queues.pending, donorMessage('mask.1'), 'PermanentError: contact donor@example.org');

      const page = await (await get(`/console/damaged/${id}`)).text();
      const download = await get('/console/damaged/export.json?order_id=mask.1');
      const text = await download.text();

      for (const secret of ['donor@example.org', 'Lovelace', '1 Example Street', '192.0.2.7']) {
        expect(page).not.toContain(secret);
        expect(text).not.toContain(secret);
      }
      expect(page).toContain('mask.1');
      expect(download.headers.get('content-disposition')).toMatch(/attachment/);
      expect(JSON.parse(text)).toEqual([expect.objectContaining({ id, orderId: 'mask.1', message: expect.objectContaining({ email: '[redacted]' }) })]);
    });

    it('should resend an edited message to its queue with masked values kept, delete the row and audit it masked', async () => {
      const id = await storeDamaged(f.queues.pending, donorMessage('edit.1', { gross: 'ten' }));
      const shown = JSON.parse((await f.ops.getDamaged(id)).message) as Record<string, unknown>;

      const response = await post(`/console/damaged/${id}/resend`, { _csrf: csrf, message: JSON.stringify({ ...shown, gross: '10.00' }) });

      expect(response.status).toBe(303);
      const [queued] = await f.backend.peek(f.queues.pending, 1);
      expect(JSON.parse(queued!)).toMatchObject({ order_id: 'edit.1', gross: '10.00', email: 'donor@example.org', last_name: 'Lovelace' });
      expect(await f.database.db.select().from(damaged).where(eq(damaged.id, id))).toEqual([]);
      const [audit] = (await auditRows('damaged.edit-resend')).filter((r) => r.target === `damaged:${id}`);
      expect(audit).toMatchObject({ actor: 'Grace', via: 'web' });
      expect(audit!.after).toContain('"gross":"10.00"');
      expect(`${audit!.before}${audit!.after}`).not.toContain('donor@example.org');
    });

    it('should push a row once when two operators resend it at the same time, with one audit row', async () => {
      const id = await storeDamaged(f.queues.other, { kind: 'twice' });
      const before = (await f.backend.stats(f.queues.other)).ready;

      const outcomes = await Promise.allSettled([f.ops.resendDamaged({ name: 'A', via: 'web' }, id), f.ops.resendDamaged({ name: 'B', via: 'web' }, id)]);

      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: { name: 'RecordNotFoundError' } });
      expect((await f.backend.stats(f.queues.other)).ready).toBe(before + 1);
      expect((await auditRows('damaged.resend')).filter((r) => r.target === `damaged:${id}`)).toHaveLength(1);
      await f.backend.purge(f.queues.other);
    });

    it('should refuse (422) an edit that breaks the queue wire format and keep the row', async () => {
      const id = await storeDamaged(f.queues.paymentsInit, { gateway: 'test-gateway', order_id: 'init.1', date: 1764300000 });

      const response = await post(`/console/damaged/${id}/resend`, { _csrf: csrf, message: JSON.stringify({ gateway: 'test-gateway', date: 1764300000 }) });

      expect(response.status).toBe(422);
      expect(await response.text()).toContain('order_id is missing');
      expect(await f.database.db.select().from(damaged).where(eq(damaged.id, id))).toHaveLength(1);
    });

    it('should reveal a message only by POST and write the audit row for it', async () => {
      const id = await storeDamaged(f.queues.pending, donorMessage('reveal.1'));

      const revealed = await (await post(`/console/damaged/${id}/reveal`, { _csrf: csrf })).text();

      expect(revealed).toContain('donor@example.org');
      expect((await auditRows('damaged.reveal')).map((r) => r.target)).toContain(`damaged:${id}`);
      expect((await get(`/console/damaged/${id}/reveal`)).status).toBe(404);
    });

    it('should delete a row and keep its masked content in the audit', async () => {
      const id = await storeDamaged(f.queues.other, donorMessage('delete.1'));

      const response = await post(`/console/damaged/${id}/delete`, { _csrf: csrf });

      expect(response.status).toBe(303);
      const [audit] = (await auditRows('damaged.delete')).filter((r) => r.target === `damaged:${id}`);
      expect(audit!.before).toContain('delete.1');
      expect(audit!.before).toMatch(/"damagedDate":"\d{4}-\d{2}-\d{2}T/);
      expect(audit!.before).not.toContain('donor@example.org');
    });

    it('should show a bulk dry run without sending, execute exactly it, and refuse a stale one with 409', async () => {
      const good = await storeDamaged(f.queues.pending, donorMessage('bulk.1'), 'PermanentError: bulk case');
      const bad = await storeDamaged(f.queues.pending, { gateway: 'test-gateway', order_id: 'bulk.2' }, 'PermanentError: bulk case');
      const before = (await f.backend.stats(f.queues.pending)).ready;

      const plan = await (await post('/console/damaged/bulk-resend', { _csrf: csrf, error: 'bulk case' })).text();
      const fingerprint = /name="fingerprint" value="([^"]+)"/.exec(plan)![1]!;
      const stale = await post('/console/damaged/bulk-resend/execute', { _csrf: csrf, error: 'bulk case', fingerprint: 'not-this-one' });
      const executed = await post('/console/damaged/bulk-resend/execute', { _csrf: csrf, error: 'bulk case', fingerprint });

      expect(plan).toContain('would be resent');
      expect(plan).toContain('date is missing');
      expect(stale.status).toBe(409);
      expect(executed.status).toBe(303);
      expect((await f.backend.stats(f.queues.pending)).ready).toBe(before + 1);
      const left = (await f.database.db.select().from(damaged)).map((r) => r.id);
      expect(left).toContain(bad);
      expect(left).not.toContain(good);
      expect((await auditRows('damaged.bulk-resend')).map((r) => r.target)).toEqual([`damaged:${good}`]);
    });

    it('should search by gateway transaction id and page the result', async () => {
      for (let n = 0; n < 7; n++) await storeDamaged(f.queues.other, { gateway: 'paged', gateway_txn_id: 'txn-paged', n });

      const first = await f.ops.searchDamaged({ gatewayTxnId: 'txn-paged' }, 1);
      const second = await f.ops.searchDamaged({ gatewayTxnId: 'txn-paged' }, 2);
      const page = await (await get('/console/damaged?gateway_txn_id=txn-paged&page=2')).text();

      expect([first.total, first.rows.length, second.rows.length]).toEqual([7, 5, 2]);
      expect(page).toContain('page 2 of 2');
    });
  });

  describe('queues', () => {
    it('should redrive dead letters and audit how many moved', async () => {
      const queue = f.queues.other;
      await f.backend.push(queue, { dead: 1 });
      const [delivery] = await f.backend.lease(queue);
      await f.backend.release(queue, delivery!.receipt);
      expect(await f.backend.lease(queue)).toEqual([]); // past maxReceiveCount: dead-lettered
      expect((await f.backend.stats(queue)).dead).toBe(1);

      const response = await post(`/console/queues/${queue}/redrive`, { _csrf: csrf, max: '10' });

      expect(response.status).toBe(303);
      expect(await f.backend.stats(queue)).toMatchObject({ dead: 0, ready: 1 });
      const [audit] = await auditRows('queue.redrive');
      expect(JSON.parse(audit!.after!)).toMatchObject({ moved: 1 });
      await f.backend.purge(queue);
    });

    it('should purge only when the queue name is typed, and audit the purge', async () => {
      const queue = f.queues.tracking;
      await f.backend.push(queue, { id: '1', ts: '20240101120000' });

      const refused = await post(`/console/queues/${queue}/purge`, { _csrf: csrf, confirm: 'yes' });
      const purged = await post(`/console/queues/${queue}/purge`, { _csrf: csrf, confirm: queue });

      expect([refused.status, purged.status]).toEqual([400, 303]);
      expect((await f.backend.stats(queue)).ready).toBe(0);
      expect(JSON.parse((await auditRows('queue.purge'))[0]!.before!)).toMatchObject({ ready: 1 });
    });

    it('should refuse a queue the console does not manage with 404', async () => {
      const response = await post('/console/queues/some-other-key/purge', { _csrf: csrf, confirm: 'some-other-key' });

      expect(response.status).toBe(404);
    });
  });

  describe('pending: the rectifier', () => {
    it('should show the last runs with their outcomes and the processor\'s status histogram', async () => {
      const run = { attempted: 3, rowsResolved: 4, outcomes: { completed: 2, cancelled: 1 }, processorStatuses: { complete: 2, failed: 1 }, stoppedBecause: 'empty' as const };
      await recordGatewayRun(f.database.db, { gateway: 'ingenico', source: 'triggered', startedAt: new Date(Date.now() - 5000), finishedAt: new Date(), run }, 10);

      const page = await (await get('/console/pending')).text();

      const runs = page.slice(page.indexOf('id="rectifier-runs"'));
      expect(runs).toMatch(/<td>ingenico<\/td><td>triggered<\/td><td class="n">3<\/td><td class="n">4<\/td>/);
      expect(runs).toContain('completed 2');
      const histogram = page.slice(page.indexOf('id="processor-statuses"'), page.indexOf('id="rectifier-runs"'));
      expect(histogram).toMatch(/<th>complete<\/th><td><span class="bar w10"><\/span>2<\/td>/);
      expect(histogram).toMatch(/<th>failed<\/th><td><span class="bar w5"><\/span>1<\/td>/);
    });

    it('should queue a rectifier trigger due now for a gateway, and audit it', async () => {
      const before = Math.floor(Date.now() / 1000);

      const response = await post('/console/pending/rectify', { _csrf: csrf, gateway: 'adyen' });

      expect(response.status).toBe(303);
      const [delivery] = await f.backend.lease(f.rectifyQueue);
      const trigger = parseTrigger(JSON.parse(delivery!.body));
      expect(trigger.gateway).toBe('adyen');
      expect(trigger.due).toBeGreaterThanOrEqual(before);
      expect(trigger.due).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      const [audit] = await auditRows('pending.trigger-rectify');
      expect(audit).toMatchObject({ actor: 'Grace', via: 'web', target: 'gateway:adyen' });
      await f.backend.purge(f.rectifyQueue);
    });

    it('should refuse a gateway the rectifier does not settle (404) and a trigger without its CSRF token (403), queueing nothing', async () => {
      const unknown = await post('/console/pending/rectify', { _csrf: csrf, gateway: 'nobody-rectifies-this' });
      const forged = await post('/console/pending/rectify', { _csrf: 'forged', gateway: 'ingenico' });

      expect([unknown.status, forged.status]).toEqual([404, 403]);
      expect(await f.backend.stats(f.rectifyQueue)).toMatchObject({ ready: 0, delayed: 0 });
    });
  });

  describe('metrics', () => {
    it('should serve the queue, damaged and pending figures as Prometheus text, and only when signed in', async () => {
      await f.backend.push(f.queues.paymentsInit, { gateway: 'g', order_id: 'metrics.1', date: 1764300000 });

      const anonymous = await get('/console/metrics', {});
      const response = await get('/console/metrics', { authorization: `Bearer ${CONSOLE_TEST_TOKEN}` });
      const text = await response.text();

      expect(anonymous.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(text).toContain(`buffer_queue_messages{queue="${f.queues.paymentsInit}",state="ready"} 1`);
      expect(text).toMatch(new RegExp(`buffer_damaged_rows\\{queue="${f.queues.pending}"\\} \\d+`));
      expect(text).toContain('# TYPE buffer_pending_unresolved_rows gauge');
      await f.backend.purge(f.queues.paymentsInit);
    });
  });

  describe('audit page', () => {
    it('should list only the chosen action\'s rows', async () => {
      const cli = { name: 'cli:someone', via: 'cli' as const };
      await recordAudit(f.database.db, cli, { action: 'queue.purge', target: 'queue:audit-page-purge' });
      await recordAudit(f.database.db, cli, { action: 'damaged.delete', target: 'damaged:audit-page-delete' });

      const page = await (await get('/console/audit?action=queue.purge')).text();

      expect(page).toContain('queue:audit-page-purge');
      expect(page).not.toContain('damaged:audit-page-delete');
    });
  });

  describe('read-only pages', () => {
    it('should show the queues, pending, tracking, impressions and audit pages', async () => {
      const statuses = await Promise.all(['/console/', `/console/queues/${f.queues.pending}`, '/console/pending?gateway=g&order_id=o', '/console/tracking?id=1', '/console/impressions', '/console/audit'].map(async (p) => (await get(p)).status));

      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    });
  });
});

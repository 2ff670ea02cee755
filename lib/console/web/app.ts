/**
 * The web console: a Hono app over the console's operations (../operations.ts), mounted at
 * /console. The same app runs in the `console` function (hono/aws-lambda, ../jobs.ts) and in a
 * local process (@hono/node-server, scripts/console.ts).
 *
 * Every page but the sign-in needs an identity (./auth.ts); every POST needs the identity's CSRF
 * token; every answer forbids scripts, framing and caching. Errors of the request answer with
 * their status (401, 403, 404, 409, 422...) and a page that says why; an unreachable queue or
 * database answers 503; anything else 500 with nothing of the request in it.
 */
import { Hono, type Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { InfrastructureError, toError } from '../../errors';
import type { Logger } from '../../log';
import { ConsoleRequestError, InvalidConsoleInputError, NotSignedInError } from '../errors';
import { parseDamagedFilter } from '../damaged';
import { AUDIT_ACTIONS } from '../audit';
import type { ConsoleOperations } from '../operations';
import { checkCsrf, identify, issueSession, LOGIN_COOKIE, loginNonce, sameSecret, SESSION_COOKIE, type Identity, type WebAuthOptions } from './auth';
import {
  auditPage,
  BASE,
  bulkPlanPage,
  damagedPage,
  damagedRowPage,
  errorPage,
  impressionsPage,
  loginPage,
  pendingPage,
  queuePage,
  queuesPage,
  revealPage,
  STYLE_HASH,
  trackingPage,
  type PageContext,
} from './views';

type Env = { Variables: { identity: Identity }; Bindings: { event?: { requestContext?: { authorizer?: { jwt?: { claims?: Record<string, unknown> } } } } } };

const CSP = `default-src 'none'; style-src '${STYLE_HASH}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

/** The console's Hono app. */
export function createConsoleApp(ops: ConsoleOperations, auth: WebAuthOptions, logger: Logger): Hono<Env> {
  // Not strict: serverless-offline and API Gateway may hand `/console/` over as `/console`; both are the queues page.
  const app = new Hono<Env>({ strict: false });

  app.use('*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
  });

  // Sign-in (mode token only): a double-submit cookie guards the form, since no session exists yet.
  app.get(`${BASE}/login`, (c) => {
    if (auth.mode === 'jwt') return c.redirect(`${BASE}/`, 302);
    const nonce = loginNonce();
    setCookie(c, LOGIN_COOKIE, nonce, cookieOptions(c, 600));
    return c.html(loginPage(nonce));
  });
  app.post(`${BASE}/login`, async (c) => {
    if (auth.mode === 'jwt') return c.redirect(`${BASE}/`, 303);
    const form = await c.req.parseBody();
    const nonce = getCookie(c, LOGIN_COOKIE);
    const again = () => {
      const fresh = loginNonce();
      setCookie(c, LOGIN_COOKIE, fresh, cookieOptions(c, 600));
      return fresh;
    };
    if (!nonce || typeof form._csrf !== 'string' || !sameSecret(form._csrf, nonce)) return c.html(loginPage(again(), 'The form expired: sign in again.'), 403);
    const name = typeof form.name === 'string' ? form.name.trim() : '';
    if (typeof form.token !== 'string' || !sameSecret(form.token, auth.secret) || name === '') {
      logger.warn({ event: 'console sign-in refused' }, 'console sign-in refused');
      return c.html(loginPage(again(), 'Wrong token, or no name given.'), 401);
    }
    deleteCookie(c, LOGIN_COOKIE, { path: BASE });
    setCookie(c, SESSION_COOKIE, issueSession(auth, name), cookieOptions(c, auth.sessionHours * 3600));
    return c.redirect(`${BASE}/`, 303);
  });

  // Everything else: an identity first, and on a POST its CSRF token.
  app.use(`${BASE}/*`, async (c, next) => {
    c.set('identity', identify(auth, { authorization: c.req.header('authorization'), sessionCookie: getCookie(c, SESSION_COOKIE), jwtClaims: c.env?.event?.requestContext?.authorizer?.jwt?.claims }));
    if (c.req.method === 'POST') {
      const form = await c.req.parseBody();
      checkCsrf(c.get('identity'), c.req.header('x-csrf-token') ?? (typeof form._csrf === 'string' ? form._csrf : undefined));
    }
    await next();
  });

  app.post(`${BASE}/logout`, (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: BASE });
    return c.redirect(`${BASE}/login`, 303);
  });

  app.get(BASE, async (c) => {
    const [queues, damagedByQueue] = await Promise.all([ops.queueOverview(), ops.damagedCounts()]);
    return c.html(queuesPage(page(c, 'Queues', 'queues'), queues, damagedByQueue, ops.capabilities));
  });
  // The same figures for a scraper (which signs in with the bearer token, or a JWT on deployed stages).
  app.get(`${BASE}/metrics`, async (c) => c.text(await ops.prometheus(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }));

  app.get(`${BASE}/queues/:queue`, async (c) => {
    const queue = c.req.param('queue');
    const peeked = await ops.peek(queue);
    const [stats, rates, partitions] = await Promise.all([ops.queueStats(queue), ops.rates(queue), ops.partitions(queue)]);
    return c.html(queuePage(page(c, `Queue ${queue}`, 'queues'), stats!, { rates, partitions, peeked }, ops.options.redrive.max, ops.options.redrive.perSecond));
  });
  app.post(`${BASE}/queues/:queue/redrive`, async (c) => {
    const queue = c.req.param('queue');
    const form = await c.req.parseBody();
    const max = form.max === undefined || form.max === '' ? undefined : wholeNumber(String(form.max), 'max');
    const { moved } = await ops.redrive(actor(c), queue, max);
    return c.redirect(`${BASE}/queues/${encodeURIComponent(queue)}?done=redriven&n=${moved}`, 303);
  });
  app.post(`${BASE}/queues/:queue/purge`, async (c) => {
    const queue = c.req.param('queue');
    const form = await c.req.parseBody();
    await ops.purge(actor(c), queue, typeof form.confirm === 'string' ? form.confirm : '');
    return c.redirect(`${BASE}/queues/${encodeURIComponent(queue)}?done=purged`, 303);
  });

  app.get(`${BASE}/damaged`, async (c) => {
    const filter = parseDamagedFilter(c.req.query());
    const pageNumber = c.req.query('page') ? wholeNumber(c.req.query('page')!, 'page') : 1;
    return c.html(damagedPage(page(c, 'Damaged', 'damaged'), filter, await ops.searchDamaged(filter, pageNumber), ops.options.queues));
  });
  app.get(`${BASE}/damaged/export.json`, async (c) => {
    const rows = await ops.exportDamaged(parseDamagedFilter(c.req.query()));
    c.header('Content-Disposition', `attachment; filename="damaged-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.json"`);
    return c.json(rows);
  });
  app.post(`${BASE}/damaged/bulk-resend`, async (c) => {
    const filter = parseDamagedFilter(formStrings(await c.req.parseBody()));
    return c.html(bulkPlanPage(page(c, 'Bulk resend', 'damaged'), filter, await ops.planBulkResend(filter)));
  });
  app.post(`${BASE}/damaged/bulk-resend/execute`, async (c) => {
    const form = formStrings(await c.req.parseBody());
    const result = await ops.executeBulkResend(actor(c), parseDamagedFilter(form), form.fingerprint ?? '');
    return c.redirect(`${BASE}/damaged?done=bulk&n=${result.sent}&skipped=${result.skipped}`, 303);
  });
  app.get(`${BASE}/damaged/:id`, async (c) => c.html(damagedRowPage(page(c, 'Damaged message', 'damaged'), await ops.getDamaged(rowId(c)))));
  app.post(`${BASE}/damaged/:id/reveal`, async (c) => {
    const { id, message } = await ops.revealDamaged(actor(c), rowId(c));
    return c.html(revealPage(page(c, 'Unmasked message', 'damaged'), id, message));
  });
  app.post(`${BASE}/damaged/:id/resend`, async (c) => {
    const form = formStrings(await c.req.parseBody());
    const result = await ops.resendDamaged(actor(c), rowId(c), form.message);
    return c.redirect(`${BASE}/damaged?done=resent&id=${result.id}&queue=${encodeURIComponent(result.queue)}`, 303);
  });
  app.post(`${BASE}/damaged/:id/delete`, async (c) => {
    const { id } = await ops.deleteDamaged(actor(c), rowId(c));
    return c.redirect(`${BASE}/damaged?done=deleted&id=${id}`, 303);
  });

  app.get(`${BASE}/pending`, async (c) => {
    const gateway = c.req.query('gateway')?.trim();
    const orderId = c.req.query('order_id')?.trim();
    const order = gateway && orderId ? { gateway, orderId, result: await ops.pendingOrder(gateway, orderId) } : null;
    const [ages, runs] = await Promise.all([ops.pendingAges(), ops.rectifierRuns()]);
    return c.html(pendingPage(page(c, 'Pending', 'pending'), ages, { runs, gateways: ops.options.rectify.gateways }, order));
  });
  app.post(`${BASE}/pending/rectify`, async (c) => {
    const form = formStrings(await c.req.parseBody());
    const { gateway } = await ops.triggerRectify(actor(c), form.gateway?.trim() ?? '');
    return c.redirect(`${BASE}/pending?done=triggered&gateway=${encodeURIComponent(gateway)}`, 303);
  });
  app.get(`${BASE}/tracking`, async (c) => {
    const text = c.req.query('id')?.trim();
    const id = text ? wholeNumber(text, 'id') : null;
    return c.html(trackingPage(page(c, 'Tracking', 'tracking'), id, id === null ? null : await ops.trackingHistory(id)));
  });
  app.get(`${BASE}/impressions`, async (c) => {
    const campaign = c.req.query('campaign')?.trim();
    const [lag, minutes] = await Promise.all([ops.impressionsLag(), campaign ? ops.campaignMinutes(campaign) : null]);
    return c.html(impressionsPage(page(c, 'Impressions', 'impressions'), ops.options.consumerGroup, lag, minutes));
  });
  app.get(`${BASE}/audit`, async (c) => {
    const action = AUDIT_ACTIONS.find((a) => a === c.req.query('action'));
    return c.html(auditPage(page(c, 'Audit', 'audit'), await ops.audit(200, action), AUDIT_ACTIONS, action));
  });

  app.notFound((c) => c.html(errorPage({ title: 'Not found', section: 'queues' }, 404, 'No such page.'), 404));

  app.onError((error, c) => {
    const ctx: PageContext = { title: 'Error', section: 'queues', ...identityContext(c) };
    if (error instanceof ConsoleRequestError) {
      if (error instanceof NotSignedInError) return c.html(errorPage({ title: 'Sign in', section: 'login' }, 401, error.message), 401);
      return c.html(errorPage(ctx, error.status, error.message), error.status as 400);
    }
    const err = toError(error);
    if (err instanceof InfrastructureError) {
      logger.error({ err: err.message, type: err.name }, 'console: a dependency is unreachable');
      return c.html(errorPage(ctx, 503, `${err.name}: the queue or the database cannot be reached; try again.`), 503);
    }
    logger.error({ err: err.message, type: err.name, stack: err.stack }, 'console: request failed');
    return c.html(errorPage(ctx, 500, 'Internal error; it was logged.'), 500);
  });

  return app;
}

function identityContext(c: Context<Env>): Pick<PageContext, 'who' | 'csrf' | 'canSignOut'> {
  const identity = c.get('identity') as Identity | undefined;
  return identity ? { who: identity.actor.name, csrf: identity.csrf, canSignOut: identity.kind === 'session' } : {};
}

function page(c: Context<Env>, title: string, section: PageContext['section']): PageContext & { csrf: string } {
  const identity = c.get('identity');
  return { title, section, who: identity.actor.name, csrf: identity.csrf, canSignOut: identity.kind === 'session', notice: noticeOf(c) };
}

/** The confirmation after a redirect; built from codes and numbers, never from free text. */
function noticeOf(c: Context<Env>): string | undefined {
  const q = (key: string) => c.req.query(key);
  const n = (key: string) => (/^\d+$/.test(q(key) ?? '') ? q(key) : '?');
  switch (q('done')) {
    case 'resent':
      return `Message ${n('id')} was queued on ${q('queue') ?? '?'} and its damaged row deleted.`;
    case 'deleted':
      return `Damaged row ${n('id')} was deleted.`;
    case 'bulk':
      return `${n('n')} messages were queued again; ${n('skipped')} invalid rows stayed.`;
    case 'redriven':
      return `${n('n')} dead letters were moved back onto the queue.`;
    case 'purged':
      return 'The queue was purged.';
    case 'triggered':
      return `A rectifier run for ${q('gateway') ?? '?'} was queued; its summary appears below once consume-rectify has run it.`;
    default:
      return undefined;
  }
}

function actor(c: Context<Env>) {
  return c.get('identity').actor;
}

function rowId(c: Context<Env>): number {
  return wholeNumber(c.req.param('id') ?? '', 'id');
}

function wholeNumber(text: string, name: string): number {
  if (!/^\d{1,15}$/.test(text.trim())) throw new InvalidConsoleInputError(`${name} must be a whole number`);
  return Number(text.trim());
}

function formStrings(form: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(form)) if (typeof value === 'string') out[key] = value;
  return out;
}

function cookieOptions(c: Context<Env>, maxAge: number) {
  const secure = new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
  return { path: BASE, httpOnly: true, sameSite: 'Strict' as const, secure, maxAge };
}

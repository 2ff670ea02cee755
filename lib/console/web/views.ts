/**
 * The console's pages: server-rendered HTML with no script at all (forms and links only), so
 * that the page works without a build step and the Content-Security-Policy can forbid scripts.
 * `html` escapes every interpolated value; `raw` is used only for markup built here.
 */
import { createHash } from 'node:crypto';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ConsoleAuditRow } from '../../db/schema';
import type { ImpressionsLag } from '../../impressions/lag';
import type { CampaignMinutes } from '../impressions-view';
import { minuteChart } from './chart';
import type { BulkPlan, DamagedDetail, DamagedFilter, DamagedPage } from '../damaged';
import { filterToQuery } from '../damaged';
import { PENDING_AGE_BUCKETS, type PendingGatewayAges, type PendingOrder } from '../pending-view';
import type { QueueOverview } from '../queues';
import type { PartitionedQueueStatus } from '../../queue/partitions';
import type { TrackingHistory } from '../tracking-view';
import type { GatewayRunRecord } from '../../rectifier/run-history';
import type { QueueCapabilities, QueueRates } from '../../queue/types';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Where the console is mounted (the HTTP API routes /console and /console/{proxy+}). */
export const BASE = '/console';

const CSS = `
:root{--fg:#1d2330;--muted:#667085;--line:#e3e6ec;--bg:#f7f8fa;--accent:#2357c6;--warn:#a4262c;--ok:#1f7a3a}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:1.2rem;align-items:center;padding:.6rem 1.2rem;background:#151b26;color:#fff}
header a{color:#cfd8ea;text-decoration:none}header a.on,header a:hover{color:#fff}header .who{margin-left:auto;color:#9aa6bd}
header form{margin:0}header button{background:none;border:1px solid #4a556b;color:#cfd8ea;padding:.15rem .5rem;border-radius:4px}
main{padding:1rem 1.2rem;max-width:1200px}h1{font-size:1.25rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}th,td{padding:.35rem .6rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#eef1f6;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#fff;border:1px solid var(--line);padding:.6rem;overflow:auto;max-height:28rem;white-space:pre-wrap;word-break:break-all}
textarea{width:100%;min-height:18rem;font:13px/1.4 ui-monospace,monospace}input,select,button,textarea{font:inherit}
input[type=text],input[type=number],input[type=password],input[type=date]{padding:.25rem .4rem;border:1px solid #c5cad3;border-radius:4px}
button{padding:.3rem .8rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.danger{background:var(--warn);border-color:var(--warn)}button.plain{background:#fff;color:var(--accent)}
form.inline{display:inline}fieldset{border:1px solid var(--line);background:#fff;margin:.6rem 0;padding:.6rem}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
.notice{background:#e7f5ec;border:1px solid #b5dfc3;padding:.5rem .8rem;margin-bottom:1rem}.error{background:#fdecec;border:1px solid #f3b9b9;padding:.5rem .8rem;margin-bottom:1rem}
.warn{color:var(--warn)}.muted{color:var(--muted)}.bad{color:var(--warn);font-weight:600}.good{color:var(--ok)}
.bar{display:inline-block;height:.7rem;background:var(--accent);vertical-align:middle;margin-right:.3rem;border-radius:2px}
.tag{display:inline-block;background:#eef1f6;border-radius:3px;padding:0 .3rem;margin:0 .15rem .15rem 0;white-space:nowrap}h3{font-size:.95rem;margin:1rem 0 .4rem}
figure.chart{margin:.4rem 0 1rem}figure.chart figcaption{font-size:12px;color:var(--muted)}.legend{margin-right:.8rem}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.kv th{width:11rem}td small{word-break:break-all}#results td:not(:last-child),#plan td:not(:last-child){white-space:nowrap}
${Array.from({ length: 11 }, (_, i) => `.w${i}{width:${i * 6}px}`).join('')}
`;

/** The stylesheet's hash, for the Content-Security-Policy (no inline style but this one). */
export const STYLE_HASH = `sha256-${createHash('sha256').update(CSS).digest('base64')}`;

export interface PageContext {
  title: string;
  section: 'queues' | 'damaged' | 'pending' | 'tracking' | 'impressions' | 'audit' | 'login';
  who?: string;
  csrf?: string;
  /** False for a bearer or JWT identity: there is no session to end. */
  canSignOut?: boolean;
  notice?: string;
}

const NAV: Array<[PageContext['section'], string, string]> = [
  ['queues', 'Queues', `${BASE}/`],
  ['damaged', 'Damaged', `${BASE}/damaged`],
  ['pending', 'Pending', `${BASE}/pending`],
  ['tracking', 'Tracking', `${BASE}/tracking`],
  ['impressions', 'Impressions', `${BASE}/impressions`],
  ['audit', 'Audit', `${BASE}/audit`],
];

/** The frame of every page. */
export function layout(ctx: PageContext, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${ctx.title} · buffer console</title><style>${raw(CSS)}</style></head>
<body><header><strong>buffer console</strong>
${ctx.section === 'login' ? '' : NAV.map(([section, label, href]) => html`<a href="${href}" class="${section === ctx.section ? 'on' : ''}">${label}</a>`)}
${ctx.who ? html`<span class="who">${ctx.who}</span>` : ''}
${ctx.canSignOut && ctx.csrf ? html`<form method="post" action="${BASE}/logout">${csrfField(ctx.csrf)}<button>Sign out</button></form>` : ''}
</header><main>${ctx.notice ? html`<div class="notice" role="status">${ctx.notice}</div>` : ''}${body}</main></body></html>`;
}

function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

function when(date: Date | null | undefined): string {
  return date ? date.toISOString().replace('T', ' ').slice(0, 19) : '—';
}

function age(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The sign-in form (mode `token`). */
export function loginPage(loginCsrf: string, problem?: string): Html {
  return layout(
    { title: 'Sign in', section: 'login' },
    html`<h1>Sign in</h1>${problem ? html`<div class="error" role="alert">${problem}</div>` : ''}
<form method="post" action="${BASE}/login" id="login"><input type="hidden" name="_csrf" value="${loginCsrf}">
<fieldset><p><label>Your name (for the audit log)<br><input type="text" name="name" required maxlength="100" autocomplete="username"></label></p>
<p><label>Console token (CONSOLE_TOKEN)<br><input type="password" name="token" required autocomplete="current-password"></label></p>
<button>Sign in</button></fieldset></form>`,
  );
}

/** An error page (also what a refused request answers). */
export function errorPage(ctx: PageContext, status: number, message: string): Html {
  return layout(
    ctx,
    html`<h1>${status === 401 ? 'Not signed in' : status === 403 ? 'Refused' : 'Could not do that'}</h1><div class="error" role="alert">${message}</div>
${status === 401 ? html`<p><a href="${BASE}/login">Sign in</a></p>` : html`<p><a href="${BASE}/">Back to the console</a></p>`}`,
  );
}

/** Every queue's figures. */
export function queuesPage(ctx: PageContext, queues: QueueOverview[], damagedByQueue: Record<string, number>, capabilities: QueueCapabilities): Html {
  return layout(
    ctx,
    html`<h1>Queues</h1>
<table id="queues"><thead><tr><th>queue</th><th class="n">ready</th><th class="n">in flight</th><th class="n">delayed</th><th class="n">dead</th><th class="n">oldest</th><th class="n">in damaged</th></tr></thead><tbody>
${queues.map((q) =>
  q.stats
    ? html`<tr data-queue="${q.queue}"><td><a href="${BASE}/queues/${encodeURIComponent(q.queue)}">${q.queue}</a></td><td class="n">${q.stats.ready}</td><td class="n">${q.stats.inFlight}</td><td class="n">${q.stats.delayed}</td><td class="n ${q.stats.dead > 0 ? 'bad' : ''}">${q.stats.dead}</td><td class="n">${age(q.stats.oldestAgeSeconds)}</td><td class="n"><a href="${BASE}/damaged${query({ queue: q.queue })}">${damagedByQueue[q.queue] ?? 0}</a></td></tr>`
    : html`<tr data-queue="${q.queue}"><td>${q.queue}</td><td colspan="6" class="bad">${q.error}</td></tr>`,
)}
</tbody></table>
${Object.keys(damagedByQueue).some((queue) => !queues.some((q) => q.queue === queue)) ? html`<p class="muted">Damaged rows of other queues: ${Object.entries(damagedByQueue).filter(([queue]) => !queues.some((q) => q.queue === queue)).map(([queue, n]) => html`<a href="${BASE}/damaged${query({ queue })}">${queue}</a> ${n} `)}</p>` : ''}
<p class="muted">The same figures for Prometheus: <a href="${BASE}/metrics">${BASE}/metrics</a>.</p>
${capabilities.reportsOldestAge ? '' : html`<p class="muted">This backend reports no oldest age (SQS: the CloudWatch metric ApproximateAgeOfOldestMessage has it).</p>`}`,
  );
}

function seconds(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

/** A partitioned queue's partitions: owner, fencing token, lease left, figures; and the group's members. */
function partitionsSection(view: PartitionedQueueStatus): Html {
  const left = (deadline: number | null) => seconds(deadline === null ? null : deadline - view.readAt);
  return html`<h2>Partitions (${view.partitions.length}) and their owners</h2>
<table id="partitions"><thead><tr><th class="n">partition</th><th>queue</th><th>owner</th><th class="n">token</th><th class="n">lease left</th><th class="n">ready</th><th class="n">in flight</th><th class="n">dead</th></tr></thead><tbody>
${view.partitions.map((p) => html`<tr><td class="n">${p.partition}</td><td>${p.queue}</td><td${p.owner ? '' : raw(' class="bad"')}>${p.owner ?? 'nobody'}</td><td class="n">${p.token}</td><td class="n">${left(p.leaseDeadline)}</td><td class="n">${p.stats.ready}</td><td class="n">${p.stats.inFlight}</td><td class="n">${p.stats.dead}</td></tr>`)}
</tbody></table>
<p>Consumer group: ${view.members.length === 0 ? html`<span class="bad">no live member</span>` : view.members.map((m) => html`<span class="tag">${m.consumerId} (${left(m.heartbeatDeadline)})</span> `)}</p>`;
}

/** One queue: figures, rates over the last hour, partitions, the first ready messages, redrive and purge. */
export function queuePage(
  ctx: PageContext & { csrf: string },
  queue: QueueOverview,
  extra: { rates: QueueRates | null; partitions: PartitionedQueueStatus | null; peeked: string[] | null },
  redriveMax: number,
  perSecond: number,
): Html {
  const stats = queue.stats;
  const { rates, partitions, peeked } = extra;
  const path = `${BASE}/queues/${encodeURIComponent(queue.queue)}`;
  return layout(
    ctx,
    html`<h1>Queue ${queue.queue}</h1>
${stats ? html`<table class="kv"><tbody><tr><th>ready</th><td>${stats.ready}</td></tr><tr><th>in flight</th><td>${stats.inFlight}</td></tr><tr><th>delayed</th><td>${stats.delayed}</td></tr><tr><th>dead</th><td id="dead">${stats.dead}</td></tr><tr><th>oldest</th><td>${age(stats.oldestAgeSeconds)}</td></tr></tbody></table>` : html`<div class="error">${queue.error}</div>`}
<h2>Rates, the last hour</h2>
${rates ? html`${minuteChart({ id: 'rates-chart', start: rates.start, series: [{ name: 'pushed', colour: '#2357c6', values: rates.pushed }, { name: 'consumed (acked)', colour: '#1f7a3a', values: rates.acked }] })}<p class="muted">Counted by the queue backend as each push is stored and each ack settles (processed or sent to damaged), in every process; written within a second.</p>` : html`<p class="muted">This backend keeps no per-minute counts (SQS: the CloudWatch metrics NumberOfMessagesSent and NumberOfMessagesDeleted).</p>`}
${partitions ? partitionsSection(partitions) : ''}
<h2>Redrive dead letters</h2>
<form method="post" action="${path}/redrive" id="redrive">${csrfField(ctx.csrf)}
<label>At most <input type="number" name="max" min="1" max="${redriveMax}" value="${Math.min(redriveMax, Math.max(1, stats?.dead ?? 1))}"></label>
<span class="muted">moved back at ${perSecond} per second</span> <button>Redrive</button></form>
<h2>Purge</h2>
<form method="post" action="${path}/purge" id="purge">${csrfField(ctx.csrf)}
<p class="warn">Deletes everything the queue holds: ready, in flight, delayed and dead. Type <code>${queue.queue}</code> to confirm.</p>
<input type="text" name="confirm" autocomplete="off" placeholder="${queue.queue}"> <button class="danger">Purge queue</button></form>
<h2>Next ready messages</h2>
${peeked === null ? html`<p class="muted">This backend cannot read messages without receiving them.</p>` : peeked.length === 0 ? html`<p class="muted">none</p>` : peeked.map((body) => html`<pre>${body}</pre>`)}`,
  );
}

function filterForm(filter: DamagedFilter, queues: string[]): Html {
  const day = (d?: Date) => (d ? d.toISOString().slice(0, 10) : '');
  return html`<form method="get" action="${BASE}/damaged" class="filters" id="search">
<label>queue<select name="queue"><option value="">any</option>${queues.map((q) => html`<option ${filter.queue === q ? 'selected' : ''}>${q}</option>`)}</select></label>
<label>gateway<input type="text" name="gateway" value="${filter.gateway ?? ''}" size="10"></label>
<label>order id<input type="text" name="order_id" value="${filter.orderId ?? ''}" size="12"></label>
<label>gateway txn id<input type="text" name="gateway_txn_id" value="${filter.gatewayTxnId ?? ''}" size="12"></label>
<label>from<input type="date" name="from" value="${day(filter.from)}"></label>
<label>to<input type="date" name="to" value="${day(filter.to)}"></label>
<label>error contains<input type="text" name="error" value="${filter.error ?? ''}" size="16"></label>
<button>Search</button></form>`;
}

function hiddenFilter(filter: DamagedFilter): Html {
  return html`${Object.entries(filterToQuery(filter)).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}`;
}

/** A damaged search: filters, one page of rows, download and bulk resend of the result. */
export function damagedPage(ctx: PageContext & { csrf: string }, filter: DamagedFilter, result: DamagedPage, queues: string[]): Html {
  const params = filterToQuery(filter);
  const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
  return layout(
    ctx,
    html`<h1>Damaged messages</h1>${filterForm(filter, queues)}
<p><strong id="total">${result.total}</strong> matching · page ${result.page} of ${pages}
${result.page > 1 ? html` · <a href="${BASE}/damaged${query({ ...params, page: result.page - 1 })}">previous</a>` : ''}
${result.page < pages ? html` · <a href="${BASE}/damaged${query({ ...params, page: result.page + 1 })}">next</a>` : ''}
· <a href="${BASE}/damaged/export.json${query(params)}" id="download">download JSON</a></p>
<table id="results"><thead><tr><th>id</th><th>queue</th><th>damaged</th><th>gateway</th><th>order id</th><th>txn id</th><th>retry</th><th>error</th></tr></thead><tbody>
${result.rows.map((r) => html`<tr><td><a href="${BASE}/damaged/${r.id}">${r.id}</a></td><td>${r.queue}</td><td>${when(r.damagedDate)}</td><td>${r.gateway ?? ''}</td><td>${r.orderId ?? ''}</td><td>${r.gatewayTxnId ?? ''}</td><td>${r.retryDate ? when(r.retryDate) : ''}</td><td>${r.error}</td></tr>`)}
</tbody></table>
${result.total > 0 ? html`<form method="post" action="${BASE}/damaged/bulk-resend" id="bulk">${csrfField(ctx.csrf)}${hiddenFilter(filter)}<p><button class="plain">Bulk resend these… (dry run first)</button></p></form>` : ''}`,
  );
}

/** What a bulk resend would do, and the button that does exactly that. */
export function bulkPlanPage(ctx: PageContext & { csrf: string }, filter: DamagedFilter, plan: BulkPlan): Html {
  const sendable = plan.rows.length - plan.invalid;
  return layout(
    ctx,
    html`<h1>Bulk resend — dry run</h1>
<p>${plan.matching} rows match; this covers ${plan.rows.length}${plan.matching > plan.rows.length ? ' (the oldest, up to the bulk limit)' : ''}. Nothing has been sent.</p>
<table id="by-queue"><thead><tr><th>would go to queue</th><th class="n">messages</th></tr></thead><tbody>
${Object.entries(plan.byQueue).map(([queue, n]) => html`<tr><td>${queue}</td><td class="n">${n}</td></tr>`)}
${plan.invalid > 0 ? html`<tr><td class="bad">stay (invalid for their queue)</td><td class="n bad">${plan.invalid}</td></tr>` : ''}
</tbody></table>
<h2>Rows</h2><table id="plan"><thead><tr><th>id</th><th>queue</th><th>order id</th><th>outcome</th></tr></thead><tbody>
${plan.rows.map((r) => html`<tr><td><a href="${BASE}/damaged/${r.id}">${r.id}</a></td><td>${r.queue}</td><td>${r.orderId ?? ''}</td><td class="${r.ok ? 'good' : 'bad'}">${r.ok ? 'would be resent' : r.problem}</td></tr>`)}
</tbody></table>
${sendable > 0 ? html`<form method="post" action="${BASE}/damaged/bulk-resend/execute" id="execute">${csrfField(ctx.csrf)}${hiddenFilter(filter)}<input type="hidden" name="fingerprint" value="${plan.fingerprint}"><p><button class="danger">Resend ${sendable} messages</button> <a href="${BASE}/damaged${query(filterToQuery(filter))}">cancel</a></p></form>` : html`<p class="muted">Nothing to send.</p>`}`,
  );
}

/** One damaged row: message (masked, editable), error, trace, and its actions. */
export function damagedRowPage(ctx: PageContext & { csrf: string }, row: DamagedDetail): Html {
  const path = `${BASE}/damaged/${row.id}`;
  return layout(
    ctx,
    html`<h1>Damaged message ${row.id}</h1>
<table class="kv"><tbody><tr><th>queue</th><td>${row.queue}</td></tr><tr><th>wire format</th><td>${row.wireFormat}</td></tr>
<tr><th>original date</th><td>${when(row.originalDate)}</td></tr><tr><th>damaged date</th><td>${when(row.damagedDate)}</td></tr><tr><th>retry date</th><td>${when(row.retryDate)}</td></tr>
<tr><th>gateway</th><td>${row.gateway ?? ''}</td></tr><tr><th>order id</th><td>${row.orderId ?? ''}</td></tr><tr><th>gateway txn id</th><td>${row.gatewayTxnId ?? ''}</td></tr>
<tr><th>error</th><td class="bad">${row.fullError}</td></tr></tbody></table>
<h2>Message ${row.json ? '' : html`<span class="warn">(not JSON: shown as text)</span>`}</h2>
<p class="muted">Personal data is masked. Values you leave masked keep their stored value when you resend.</p>
<form method="post" action="${path}/resend" id="resend">${csrfField(ctx.csrf)}<textarea name="message" spellcheck="false">${row.message}</textarea>
<p><button>Resend to ${row.queue}</button> <span class="muted">checked against the ${row.wireFormat} format first; the row is deleted once the message is queued</span></p></form>
<p><form method="post" action="${path}/reveal" class="inline" id="reveal">${csrfField(ctx.csrf)}<button class="plain">Reveal personal data (audited)</button></form>
<form method="post" action="${path}/delete" class="inline" id="delete">${csrfField(ctx.csrf)}<button class="danger">Delete row</button></form></p>
<details><summary>Trace</summary><pre>${row.trace ?? '—'}</pre></details>`,
  );
}

/** The unmasked body of one row, after the audit row was written. */
export function revealPage(ctx: PageContext, id: number, message: string): Html {
  return layout(
    ctx,
    html`<h1>Damaged message ${id} — unmasked</h1><div class="error" role="alert">This view contains donor personal data. Your reveal was written to the audit log.</div>
<pre id="revealed">${message}</pre><p><a href="${BASE}/damaged/${id}">back to the masked view</a></p>`,
  );
}

/** What the rectifier's last runs did, and a button per gateway to run it now. */
function rectifierSection(csrf: string, runs: GatewayRunRecord[], gateways: string[]): Html {
  const counts = (record: Partial<Record<string, number>>) =>
    Object.entries(record).length === 0 ? html`<span class="muted">—</span>` : Object.entries(record).map(([key, n]) => html`<span class="tag">${key} ${n}</span> `);
  const statuses = new Map<string, number>();
  for (const run of runs) for (const [status, n] of Object.entries(run.processorStatuses)) statuses.set(status, (statuses.get(status) ?? 0) + (n ?? 0));
  const most = Math.max(1, ...statuses.values());
  return html`<h2>Rectifier: the last runs</h2>
<form method="post" action="${BASE}/pending/rectify" class="filters" id="trigger-rectify">${csrfField(csrf)}<label>gateway<select name="gateway">${gateways.map((g) => html`<option>${g}</option>`)}</select></label><button>Run the rectifier for this gateway now</button> <span class="muted">queues a trigger due now on the rectify queue; consume-rectify runs it (audited)</span></form>
${runs.length === 0 ? html`<p class="muted">No run recorded yet.</p>` : html`<h3>Processor statuses over these runs</h3>
<table id="processor-statuses"><tbody>${[...statuses].map(([status, n]) => html`<tr><th>${status}</th><td><span class="bar w${Math.round((n / most) * 10)}"></span>${n}</td></tr>`)}</tbody></table>
<table id="rectifier-runs"><thead><tr><th>finished</th><th>gateway</th><th>run</th><th class="n">orders</th><th class="n">rows resolved</th><th>outcomes</th><th>processor said</th><th>stopped because</th></tr></thead><tbody>
${runs.map((r) => html`<tr><td>${when(r.finishedAt)}</td><td>${r.gateway}</td><td>${r.source}</td><td class="n">${r.attempted}</td><td class="n">${r.rowsResolved}</td><td>${counts(r.outcomes)}</td><td>${counts(r.processorStatuses)}</td><td>${r.stoppedBecause}</td></tr>`)}
</tbody></table>`}`;
}

/** Pending rows per gateway and age, the rectifier's last runs, and one order's rows. */
export function pendingPage(
  ctx: PageContext & { csrf: string },
  ages: PendingGatewayAges[],
  rectifier: { runs: GatewayRunRecord[]; gateways: string[] },
  order: { gateway: string; orderId: string; result: PendingOrder } | null,
): Html {
  const max = Math.max(1, ...ages.flatMap((a) => a.buckets));
  return layout(
    ctx,
    html`<h1>Pending (unresolved)</h1>
<table id="ages"><thead><tr><th>gateway</th><th class="n">total</th>${PENDING_AGE_BUCKETS.map((b) => html`<th>${b.label}</th>`)}</tr></thead><tbody>
${ages.map((a) => html`<tr><td>${a.gateway}</td><td class="n">${a.total}</td>${a.buckets.map((n) => html`<td><span class="bar w${Math.round((n / max) * 10)}"></span>${n}</td>`)}</tr>`)}
</tbody></table>
${rectifierSection(ctx.csrf, rectifier.runs, rectifier.gateways)}
<h2>One order</h2>
<form method="get" action="${BASE}/pending" class="filters" id="order"><label>gateway<input type="text" name="gateway" value="${order?.gateway ?? ''}"></label><label>order id<input type="text" name="order_id" value="${order?.orderId ?? ''}"></label><button>Show</button></form>
${order ? html`<h2>Rows of ${order.gateway} ${order.orderId}</h2>${order.result.rows.length === 0 ? html`<p class="muted">no pending rows</p>` : order.result.rows.map((r) => html`<p>row ${r.id} · ${when(r.date)} · ${r.isResolved ? 'resolved' : 'unresolved'}</p><pre>${JSON.stringify(r.message, null, 2)}</pre>`)}
<h2>payments_initial</h2>${order.result.outcome ? html`<pre>${JSON.stringify(order.result.outcome, null, 2)}</pre>` : html`<p class="muted">no outcome recorded</p>`}` : ''}`,
  );
}

/** One contribution tracking id: summary beside its event log. */
export function trackingPage(ctx: PageContext, id: number | null, history: TrackingHistory | null): Html {
  return layout(
    ctx,
    html`<h1>Contribution tracking</h1>
<form method="get" action="${BASE}/tracking" class="filters" id="tracking"><label>contribution tracking id<input type="text" name="id" value="${id ?? ''}"></label><button>Show</button></form>
${history ? html`<div class="grid"><div><h2>Summary (contribution_tracking)</h2>${history.summary ? html`<table class="kv"><tbody>${Object.entries(history.summary).map(([k, v]) => html`<tr><th>${k}</th><td>${v === null ? '' : String(v)}</td></tr>`)}</tbody></table>` : html`<p class="muted">no summary row</p>`}
${history.source ? html`<h2>contribution_source</h2><pre>${JSON.stringify(history.source, null, 2)}</pre>` : ''}</div>
<div><h2>Event log (${history.events.length}, in merge order)</h2>${history.events.map((e) => html`<p>event ${e.eventId} · ts ${e.ts ?? 'none (placed by arrival)'} · received ${when(e.receivedAt)}</p><pre>${JSON.stringify(e.message, null, 2)}</pre>`)}</div></div>` : ''}`,
  );
}

/** The impressions loader's lag per topic and partition, and one campaign's events per minute. */
export function impressionsPage(ctx: PageContext, consumerGroup: string, lag: ImpressionsLag, campaign: CampaignMinutes | null): Html {
  const total = (values: Array<number | null>) => (values.some((v) => v === null) ? null : values.reduce<number>((a, b) => a + (b ?? 0), 0));
  const byTopic = [...new Set(lag.partitions.map((p) => p.topic))].map((topic) => ({ topic, lag: total(lag.partitions.filter((p) => p.topic === topic).map((p) => p.lag)) }));
  return layout(
    ctx,
    html`<h1>Impressions: the loader ${consumerGroup}</h1>
${lag.kafkaError ? html`<div class="error" role="alert">${lag.kafkaError}: the lag is unknown; the stored offsets below are the database's.</div>` : ''}
<h2>Lag per topic</h2>
<table id="topic-lag"><thead><tr><th>topic</th><th class="n">events behind</th></tr></thead><tbody>
${byTopic.map((t) => html`<tr><td>${t.topic}</td><td class="n">${t.lag ?? '—'}</td></tr>`)}
</tbody></table>
<h2>Per partition</h2>
<table id="offsets"><thead><tr><th>topic</th><th class="n">partition</th><th class="n">end offset (Kafka)</th><th class="n">next offset (stored)</th><th class="n">lag</th><th class="n">counted</th><th class="n">ignored</th><th class="n">invalid</th><th>updated</th></tr></thead><tbody>
${lag.partitions.map((o) => html`<tr><td>${o.topic}</td><td class="n">${o.partition}</td><td class="n">${o.endOffset ?? '—'}</td><td class="n">${o.nextOffset ?? '—'}</td><td class="n${o.lag ? ' bad' : ''}">${o.lag ?? '—'}</td><td class="n">${o.countedEvents}</td><td class="n">${o.ignoredEvents}</td><td class="n">${o.invalidEvents}</td><td>${when(o.updatedAt)}</td></tr>`)}
</tbody></table>
<p class="muted">Lag: Kafka's end offset minus the next offset the loader stored with its counts (— while the loader has applied nothing of a partition, or Kafka does not report it).</p>
<h2>One campaign, events per minute</h2>
<form method="get" action="${BASE}/impressions" class="filters" id="campaign"><label>campaign<input type="text" name="campaign" value="${campaign?.campaign ?? ''}"></label><button>Show the last hour</button></form>
${campaign ? minuteChart({ id: 'campaign-chart', start: campaign.start, series: [{ name: 'banner impressions', colour: '#2357c6', values: campaign.banner }, { name: 'landing page views', colour: '#1f7a3a', values: campaign.landingPage }] }) : ''}`,
  );
}

/** The latest audit rows. */
export function auditPage(ctx: PageContext, rows: ConsoleAuditRow[], actions: readonly string[], action: string | undefined): Html {
  return layout(
    ctx,
    html`<h1>Audit log</h1>
<form method="get" action="${BASE}/audit" class="filters" id="audit-filter"><label>action<select name="action"><option value="">any</option>${actions.map((a) => html`<option ${a === action ? 'selected' : ''}>${a}</option>`)}</select></label><button>Show</button></form>
<p class="muted">The latest ${rows.length} rows${action ? html` of ${action}` : ''}, newest first.</p>
<table id="audit"><thead><tr><th>when</th><th>who</th><th>via</th><th>action</th><th>target</th><th>before</th><th>after</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td>${when(r.at)}</td><td>${r.actor}</td><td>${r.via}</td><td>${r.action}</td><td>${r.target}</td><td><small>${r.before ?? ''}</small></td><td><small>${r.after ?? ''}</small></td></tr>`)}
</tbody></table>`,
  );
}

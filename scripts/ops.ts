/**
 * `npm run ops -- <command>`: the operators' console on the command line, over the same
 * library calls as the web console (lib/console/operations.ts), on the configured Redis and
 * database (REDIS_URL, DATABASE_URL, QUEUE_BACKEND). Personal data is masked as in the web
 * console; `damaged reveal` shows one message unmasked and is audited. Every change is written
 * to console_audit as `cli:<user>` (or CONSOLE_ACTOR). `--json` prints JSON; `--help` lists
 * the commands. Exit 0 on success, 2 when the request was refused (bad input, unknown queue,
 * failed confirmation, invalid message), 1 on any other failure.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import type { Actor } from '../lib/console/audit';
import { parseDamagedFilter } from '../lib/console/damaged';
import { ConsoleRequestError } from '../lib/console/errors';
import { consoleOptions, type ConsoleDeps, type ConsoleOperations, createConsoleOperations } from '../lib/console/operations';
import { PENDING_AGE_BUCKETS } from '../lib/console/pending-view';
import { defineJob } from '../lib/job';
import { consoleClients } from '../lib/runtime/clients/console';
import { openRuntime } from '../lib/runtime/handler-runtime';

/** The CLI's "job": the console's options and the clients the console function opens. */
const opsJob = defineJob({ options: consoleOptions, run: async (_deps: ConsoleDeps) => undefined });

type Output = { json: boolean };

const write = (text: string) => process.stdout.write(`${text}\n`);

/** Prints `value` as JSON, or as what `human` makes of it. */
function print<T>(output: Output, value: T, human: (value: T) => string): void {
  write(output.json ? JSON.stringify(value, null, 2) : human(value));
}

/** A plain text table: a header row and aligned columns. */
function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function wholeNumber(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new Error(`not a whole number: ${text}`);
  return Number(text);
}

const filterOptions = (command: Command) =>
  command
    .option('--queue <queue>', 'original queue')
    .option('--gateway <gateway>')
    .option('--order-id <id>')
    .option('--gateway-txn-id <id>')
    .option('--from <date>', 'damaged at or after (YYYY-MM-DD or ISO 8601)')
    .option('--to <date>', 'damaged at or before')
    .option('--error <text>', 'error text contains');

function filterOf(options: Record<string, string | undefined>) {
  return parseDamagedFilter({ queue: options.queue, gateway: options.gateway, order_id: options.orderId, gateway_txn_id: options.gatewayTxnId, from: options.from, to: options.to, error: options.error });
}

/** The command tree over `ops`; `actor` is who the audit names. */
function buildProgram(open: () => ConsoleOperations, actor: Actor): Command {
  const program = new Command('ops')
    .description('The operators\' console on the command line (masked output; changes are audited).')
    .addOption(new Option('--json', 'print JSON'))
    .showHelpAfterError()
    .exitOverride();
  const out = (command: Command): Output => ({ json: Boolean(command.optsWithGlobals().json) });

  program
    .command('queues')
    .description('every queue: ready, in flight, delayed, dead, oldest age')
    .action(async (_options, command: Command) => {
      print(out(command), await open().queueOverview(), (rows) =>
        table(['queue', 'ready', 'in flight', 'delayed', 'dead', 'oldest s'], rows.map((q) => (q.stats ? [q.queue, q.stats.ready, q.stats.inFlight, q.stats.delayed, q.stats.dead, q.stats.oldestAgeSeconds] : [q.queue, q.error]))),
      );
    });
  program
    .command('peek <queue>')
    .description('the first ready messages of a queue, masked (Redis only)')
    .option('--count <n>', 'how many', '5')
    .action(async (queue: string, options: { count: string }, command: Command) => {
      const bodies = await open().peek(queue, wholeNumber(options.count));
      print(out(command), bodies, (b) => (b === null ? 'this backend cannot peek' : b.join('\n---\n') || '(none)'));
    });
  program
    .command('rates <queue>')
    .description('pushed and consumed (acked) messages per minute over the last hour (Redis)')
    .action(async (queue: string, _options, command: Command) => {
      print(out(command), await open().rates(queue), (r) =>
        r === null
          ? 'this backend keeps no per-minute counts (SQS: CloudWatch NumberOfMessagesSent / NumberOfMessagesDeleted)'
          : table(['minute (UTC)', 'pushed', 'consumed'], r.pushed.map((n, i) => [new Date(r.start.getTime() + i * 60_000).toISOString().slice(11, 16), n, r.acked[i]]).filter((row) => row[1] !== 0 || row[2] !== 0)),
      );
    });
  program
    .command('partitions <queue>')
    .description('a partitioned queue\'s partitions: owner, fencing token, lease left, figures; the group\'s members')
    .action(async (queue: string, _options, command: Command) => {
      print(out(command), await open().partitions(queue), (v) =>
        v === null
          ? `${queue} is not partitioned`
          : [
              table(['partition', 'owner', 'token', 'lease left ms', 'ready', 'in flight'], v.partitions.map((p) => [p.queue, p.owner ?? 'nobody', p.token, p.leaseDeadline === null ? null : p.leaseDeadline - v.readAt, p.stats.ready, p.stats.inFlight])),
              `members: ${v.members.map((m) => m.consumerId).join(', ') || 'none'}`,
            ].join('\n'),
      );
    });
  program
    .command('redrive <queue>')
    .description('move dead letters back onto their queue, at the configured rate')
    .option('--max <n>', 'at most this many (default and ceiling: CONSOLE_REDRIVE_MAX)')
    .action(async (queue: string, options: { max?: string }, command: Command) => {
      print(out(command), await open().redrive(actor, queue, options.max === undefined ? undefined : wholeNumber(options.max)), (r) => `${r.moved} dead letters moved back onto ${queue}`);
    });
  program
    .command('purge <queue>')
    .description('delete everything a queue holds (ready, in flight, delayed, dead)')
    .requiredOption('--confirm <queue>', 'the queue name again, typed out')
    .action(async (queue: string, options: { confirm: string }, command: Command) => {
      print(out(command), await open().purge(actor, queue, options.confirm), (r) => `${queue} purged (it held ${r.purged.ready} ready, ${r.purged.inFlight} in flight, ${r.purged.delayed} delayed, ${r.purged.dead} dead)`);
    });

  const damaged = program.command('damaged').description('messages that could not be processed');
  filterOptions(damaged.command('search').description('search damaged rows, newest first'))
    .option('--page <n>', 'page', '1')
    .action(async (options: Record<string, string>, command: Command) => {
      print(out(command), await open().searchDamaged(filterOf(options), wholeNumber(options.page!)), (r) =>
        `${r.total} matching, page ${r.page}\n${table(['id', 'queue', 'damaged', 'gateway', 'order id', 'txn id', 'error'], r.rows.map((d) => [d.id, d.queue, d.damagedDate.toISOString(), d.gateway, d.orderId, d.gatewayTxnId, d.error]))}`,
      );
    });
  damaged
    .command('show <id>')
    .description('one row: message (masked), error, trace')
    .action(async (id: string, _options, command: Command) => {
      print(out(command), await open().getDamaged(wholeNumber(id)), (d) => `row ${d.id} from ${d.queue} (${d.wireFormat})\nerror: ${d.fullError}\n${d.message}`);
    });
  damaged
    .command('reveal <id>')
    .description('one row\'s message unmasked (audited)')
    .action(async (id: string, _options, command: Command) => {
      print(out(command), await open().revealDamaged(actor, wholeNumber(id)), (r) => r.message);
    });
  damaged
    .command('resend <id>')
    .description('push the row\'s message (or an edited one) to its original queue, then delete the row')
    .option('--message-file <path>', 'the edited message (JSON; values left masked keep their stored value)')
    .action(async (id: string, options: { messageFile?: string }, command: Command) => {
      const edited = options.messageFile === undefined ? undefined : readFileSync(options.messageFile, 'utf8');
      print(out(command), await open().resendDamaged(actor, wholeNumber(id), edited), (r) => `row ${r.id} ${r.edited ? '(edited) ' : ''}queued on ${r.queue} and deleted`);
    });
  damaged
    .command('delete <id>')
    .description('delete one row (its masked content stays in the audit)')
    .action(async (id: string, _options, command: Command) => {
      print(out(command), await open().deleteDamaged(actor, wholeNumber(id)), (r) => `row ${r.id} deleted`);
    });
  filterOptions(damaged.command('bulk-resend').description('resend a search result: a dry run, unless --execute gives the dry run\'s fingerprint'))
    .option('--execute <fingerprint>', 'send exactly the rows of the dry run with this fingerprint')
    .action(async (options: Record<string, string | undefined>, command: Command) => {
      const filter = filterOf(options);
      if (options.execute === undefined) {
        print(out(command), await open().planBulkResend(filter), (p) =>
          [
            `dry run: ${p.rows.length} of ${p.matching} matching rows; nothing sent`,
            table(['queue', 'would be resent'], Object.entries(p.byQueue)),
            `${p.invalid} rows would stay (invalid for their queue)`,
            table(['id', 'queue', 'order id', 'outcome'], p.rows.map((r) => [r.id, r.queue, r.orderId, r.ok ? 'would be resent' : r.problem])),
            `to send: --execute ${p.fingerprint}`,
          ].join('\n'),
        );
        return;
      }
      print(out(command), await open().executeBulkResend(actor, filter, options.execute), (r) => `${r.sent} sent, ${r.skipped} invalid rows stayed`);
    });
  filterOptions(damaged.command('export').description('the rows of a search as JSON (masked), newest first, up to CONSOLE_BULK_LIMIT')).action(async (options: Record<string, string>) => {
    write(JSON.stringify(await open().exportDamaged(filterOf(options)), null, 2));
  });

  const pending = program.command('pending').description('the pending table');
  pending
    .command('ages')
    .description('unresolved rows per gateway by age')
    .action(async (_options, command: Command) => {
      print(out(command), await open().pendingAges(), (rows) => table(['gateway', 'total', ...PENDING_AGE_BUCKETS.map((b) => b.label)], rows.map((r) => [r.gateway, r.total, ...r.buckets])));
    });
  pending
    .command('order <gateway> <orderId>')
    .description('one order\'s pending rows (masked) and payments_initial outcome')
    .action(async (gateway: string, orderId: string, _options, command: Command) => {
      print(out(command), await open().pendingOrder(gateway, orderId), (r) => JSON.stringify(r, null, 2));
    });
  pending
    .command('runs')
    .description('what the rectifier\'s last runs did per gateway: outcomes and the processor\'s statuses')
    .action(async (_options, command: Command) => {
      const counts = (record: Record<string, number | undefined>) => Object.entries(record).map(([k, n]) => `${k}=${n}`).join(' ');
      print(out(command), await open().rectifierRuns(), (runs) =>
        table(['finished', 'gateway', 'run', 'orders', 'rows', 'outcomes', 'processor said', 'stopped because'], runs.map((r) => [r.finishedAt.toISOString(), r.gateway, r.source, r.attempted, r.rowsResolved, counts(r.outcomes), counts(r.processorStatuses), r.stoppedBecause])),
      );
    });
  pending
    .command('rectify <gateway>')
    .description('queue a rectifier run for one gateway now (a trigger on the rectify queue; audited)')
    .action(async (gateway: string, _options, command: Command) => {
      print(out(command), await open().triggerRectify(actor, gateway), (t) => `rectifier run for ${t.gateway} queued on ${t.queue}`);
    });
  program
    .command('tracking <id>')
    .description('one contribution tracking id: summary row and event log')
    .action(async (id: string, _options, command: Command) => {
      print(out(command), await open().trackingHistory(wholeNumber(id)), (r) => JSON.stringify(r, null, 2));
    });
  const impressions = program.command('impressions').description('the impressions loader');
  impressions
    .command('lag')
    .description('the loader\'s lag per topic and partition: Kafka\'s end offsets against its stored offsets; counted, ignored, invalid')
    .action(async (_options, command: Command) => {
      print(out(command), await open().impressionsLag(), (lag) =>
        [
          ...(lag.kafkaError ? [`${lag.kafkaError}: lag unknown`] : []),
          table(['topic', 'partition', 'end offset', 'next offset', 'lag', 'counted', 'ignored', 'invalid'], lag.partitions.map((o) => [o.topic, o.partition, o.endOffset, o.nextOffset, o.lag, o.countedEvents, o.ignoredEvents, o.invalidEvents])),
        ].join('\n'),
      );
    });
  impressions
    .command('campaign <campaign>')
    .description('one campaign\'s banner impressions and landing page views per minute over the last hour')
    .action(async (campaign: string, _options, command: Command) => {
      print(out(command), await open().campaignMinutes(campaign), (m) =>
        table(['minute (UTC)', 'banner impressions', 'landing page views'], m.banner.map((n, i) => [new Date(m.start.getTime() + i * 60_000).toISOString().slice(11, 16), n, m.landingPage[i]]).filter((r) => r[1] !== 0 || r[2] !== 0)),
      );
    });
  program
    .command('metrics')
    .description('the figures in the Prometheus text format (what /console/metrics serves)')
    .action(async () => {
      process.stdout.write(await open().prometheus());
    });
  program
    .command('audit')
    .description('the latest console_audit rows')
    .option('--limit <n>', 'how many', '50')
    .option('--action <action>', 'only this action (such as damaged.resend)')
    .action(async (options: { limit: string; action?: string }, command: Command) => {
      print(out(command), await open().audit(wholeNumber(options.limit), options.action), (rows) => table(['at', 'actor', 'via', 'action', 'target'], rows.map((r) => [r.at.toISOString(), r.actor, r.via, r.action, r.target])));
    });
  return program;
}

async function main(argv: string[]): Promise<number> {
  let runtime: ReturnType<typeof openRuntime<ConsoleDeps, ReturnType<typeof consoleOptions>, void, undefined>> | undefined;
  const open = () => {
    runtime ??= openRuntime('ops', opsJob, consoleClients);
    return createConsoleOperations(runtime.deps, runtime.options);
  };
  const actor: Actor = { name: process.env.CONSOLE_ACTOR ?? `cli:${userInfo().username}`, via: 'cli' };
  try {
    await buildProgram(open, actor).parseAsync(argv);
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
    if (typeof code === 'string' && code.startsWith('commander.')) return 2;
    if (error instanceof ConsoleRequestError) {
      process.stderr.write(`refused: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`failed: ${(error as Error).name}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await runtime?.close();
  }
}

main(process.argv).then((code) => process.exit(code));

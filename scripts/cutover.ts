/**
 * `npm run cutover -- <command>`: the move off the legacy broker and pending channels
 * (docs/architecture.md §13, runbook in docs/cutover.md), on the configured Redis, database and
 * legacy services (CUTOVER_* settings). Commands:
 *
 *   drain [--dry-run] [--queue <legacy>...]   each legacy ActiveMQ queue into its target, until quiet
 *   bridge [--seconds <n>]                     keep moving new legacy messages (0: until Ctrl-C)
 *   import-limbo | import-memcached | import-inflight [--dry-run] [--dir <path>]
 *                                             a legacy pending channel into the pending queue
 *   report                                    the ledger's totals per channel
 *
 * Every command prints its verification report (`--json`: as JSON) and exits 1 when a message
 * it saw is neither in its target nor in `damaged`, 2 on bad arguments.
 */
import Redis from 'ioredis';
import { Command } from 'commander';
import { cutoverOptions, runBrokerChannels, runImport, type LegacyPendingSource } from '../lib/cutover/commands';
import { cutoverConfig } from '../lib/cutover/config';
import { openLegacyMemcached } from '../lib/cutover/legacy-memcached';
import type { MoverDeps } from '../lib/cutover/mover';
import { formatReport, ledgerReport, type CutoverReport } from '../lib/cutover/report';
import { defineJob } from '../lib/job';
import { cutoverLedgerClient } from '../lib/runtime/clients/cutover-ledger';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { pendingDbClient } from '../lib/runtime/clients/database';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { openRuntime } from '../lib/runtime/handler-runtime';

const cliJob = defineJob({ options: cutoverOptions, run: async (_deps: MoverDeps) => undefined });

async function main(argv: string[]): Promise<number> {
  const runtime = openRuntime('cutover', cliJob, { backend: queueBackendClient, db: pendingDbClient, damagedStore: damagedStoreClient, ledger: cutoverLedgerClient });
  const { deps, options } = runtime;
  let report: CutoverReport | undefined;
  let json = false;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());

  const legacySource = async (kind: LegacyPendingSource['kind'], dir?: string): Promise<{ source: LegacyPendingSource; close: () => Promise<void> }> => {
    const config = cutoverConfig();
    if (kind === 'redis-limbo') {
      const redis = new Redis(config.CUTOVER_LEGACY_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      return { source: { kind, redis }, close: async () => void redis.disconnect() };
    }
    if (kind === 'memcached-limbo') {
      const memcached = openLegacyMemcached(config.CUTOVER_MEMCACHED_SERVERS);
      return { source: { kind, memcached }, close: async () => memcached.close() };
    }
    return { source: { kind, dir }, close: async () => undefined };
  };

  const program = new Command('cutover').exitOverride().option('--json', 'print the report as JSON');
  program.hook('preAction', () => {
    json = program.opts<{ json?: boolean }>().json === true;
  });
  program
    .command('drain')
    .description('move each legacy ActiveMQ queue into its target until it has been quiet for CUTOVER_DRAIN_IDLE_MS')
    .option('--dry-run', 'read and classify without moving or acknowledging anything')
    .option('--queue <legacy...>', 'only these legacy queues')
    .action(async (flags: { dryRun?: boolean; queue?: string[] }) => {
      report = await runBrokerChannels(deps, options, { mode: 'drain', dryRun: flags.dryRun, only: flags.queue, signal: stop.signal });
    });
  program
    .command('bridge')
    .description('keep moving new legacy messages into their targets while both systems run')
    .option('--seconds <n>', 'run this long (0: until Ctrl-C)', '0')
    .action(async (flags: { seconds: string }) => {
      const timeLimitSeconds = Number(flags.seconds);
      if (!(Number.isInteger(timeLimitSeconds) && timeLimitSeconds >= 0)) throw new Error('--seconds must be a whole number');
      report = await runBrokerChannels(deps, options, { mode: 'bridge', signal: stop.signal, timeLimitSeconds });
    });
  for (const [name, kind] of [['import-limbo', 'redis-limbo'], ['import-memcached', 'memcached-limbo'], ['import-inflight', 'inflight-dir']] as const) {
    program
      .command(name)
      .description(`import the legacy ${kind} channel into the pending queue`)
      .option('--dry-run', 'read and classify without pushing anything')
      .option('--dir <path>', 'the in-flight directory (import-inflight; default CUTOVER_INFLIGHT_DIR)')
      .action(async (flags: { dryRun?: boolean; dir?: string }) => {
        const { source, close } = await legacySource(kind, flags.dir);
        try {
          report = await runImport(deps, options, source, flags.dryRun);
        } finally {
          await close();
        }
      });
  }
  program
    .command('report')
    .description("the ledger's totals per channel, over every run")
    .action(async () => {
      const pendingChannels = ['redis-limbo', 'memcached-limbo', 'inflight-dir'].map((name) => ({ name, target: options.pendingQueue }));
      report = await ledgerReport(deps.ledger, [...options.channels, ...pendingChannels]);
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.help') return 0;
    if (typeof code === 'string' && code.startsWith('commander.')) return 2;
    process.stderr.write(`failed: ${(error as Error).name}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await runtime.close();
  }
  if (!report) return 2;
  process.stdout.write(`${json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
  return report.ok ? 0 : 1;
}

main(process.argv).then((code) => process.exit(code));

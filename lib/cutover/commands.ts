/**
 * The cutover's commands over configured channels (docs/architecture.md §13), as the
 * `npm run cutover` CLI runs them: drain, bridge, the three importers, each ending with its
 * verification report.
 */
import type Redis from 'ioredis';
import { configuredWireFormats, wireFormatOf } from '../console/wire-format';
import { pendingConfig } from '../pending/config';
import { cutoverConfig } from './config';
import { drainChannel, type BrokerChannel } from './drain';
import { importInflightDirectory, importMemcachedLimbo, importRedisLimbo } from './import-limbo';
import type { LegacyMemcached } from './legacy-memcached';
import type { MoverDeps } from './mover';
import { cutoverReport, type CutoverReport } from './report';

/** Everything the commands take from configuration, validated once. */
export interface CutoverOptions {
  broker: { url: string; login?: string; passcode?: string };
  channels: BrokerChannel[];
  /** The one queue every legacy pending channel goes to. */
  pendingQueue: string;
  batchSize: number;
  idleMs: number;
  brokerRetryMs: number;
  bridgeTimeLimitSeconds: number;
  limboKeyPattern: string;
  memcachedKeyPrefix: string;
  inflightDir: string;
}

/** Reads and validates the cutover's settings (and the queue names its targets are checked against). */
export function cutoverOptions(): CutoverOptions {
  const config = cutoverConfig();
  const formats = configuredWireFormats();
  return {
    broker: { url: config.CUTOVER_STOMP_URL, login: config.CUTOVER_STOMP_LOGIN, passcode: config.CUTOVER_STOMP_PASSCODE },
    channels: config.CUTOVER_CHANNELS.map(({ legacy, target }) => ({ name: `activemq:${legacy}`, legacy, target, format: wireFormatOf(formats, target) })),
    pendingQueue: pendingConfig().PENDING_QUEUE,
    batchSize: config.CUTOVER_BATCH_SIZE,
    idleMs: config.CUTOVER_DRAIN_IDLE_MS,
    brokerRetryMs: config.CUTOVER_BROKER_RETRY_SECONDS * 1000,
    bridgeTimeLimitSeconds: config.CUTOVER_BRIDGE_TIME_LIMIT_SECONDS,
    limboKeyPattern: config.CUTOVER_LIMBO_KEY_PATTERN,
    memcachedKeyPrefix: config.CUTOVER_MEMCACHED_KEY_PREFIX,
    inflightDir: config.CUTOVER_INFLIGHT_DIR,
  };
}

export interface BrokerRunOptions {
  mode: 'drain' | 'bridge';
  dryRun?: boolean;
  /** Only these legacy queues; every configured channel otherwise. */
  only?: string[];
  /** Ends a bridge (and a drain that has not gone idle yet). */
  signal?: AbortSignal;
  /** Overrides the bridge's time limit (seconds; 0: until the signal). */
  timeLimitSeconds?: number;
}

/** Drains (or bridges) every selected channel at once and reports. */
export async function runBrokerChannels(deps: MoverDeps, options: CutoverOptions, run: BrokerRunOptions): Promise<CutoverReport> {
  const startedAt = new Date();
  const channels = run.only ? options.channels.filter((c) => run.only!.includes(c.legacy)) : options.channels;
  const limit = run.timeLimitSeconds ?? (run.mode === 'bridge' ? options.bridgeTimeLimitSeconds : 0);
  const reports = await Promise.all(
    channels.map((channel) =>
      drainChannel(deps, channel, {
        broker: options.broker,
        batchSize: options.batchSize,
        mode: run.mode,
        idleMs: options.idleMs,
        brokerRetryMs: options.brokerRetryMs,
        dryRun: run.dryRun,
        signal: run.signal,
        ...(limit > 0 ? { deadline: startedAt.getTime() + limit * 1000 } : {}),
      }),
    ),
  );
  return cutoverReport(run.dryRun ? `${run.mode} --dry-run` : run.mode, startedAt, reports);
}

/** The legacy pending channels, each read by its importer into the `pending` queue. */
export type LegacyPendingSource =
  | { kind: 'redis-limbo'; redis: Redis }
  | { kind: 'memcached-limbo'; memcached: LegacyMemcached }
  | { kind: 'inflight-dir'; dir?: string };

/** Imports one legacy pending channel and reports. */
export async function runImport(deps: MoverDeps, options: CutoverOptions, source: LegacyPendingSource, dryRun = false): Promise<CutoverReport> {
  const startedAt = new Date();
  const channel = { name: source.kind, target: options.pendingQueue, format: 'pending' as const };
  const importOptions = { batchSize: options.batchSize, dryRun };
  const report =
    source.kind === 'redis-limbo'
      ? await importRedisLimbo(deps, channel, source.redis, options.limboKeyPattern, importOptions)
      : source.kind === 'memcached-limbo'
        ? await importMemcachedLimbo(deps, channel, source.memcached, options.memcachedKeyPrefix, importOptions)
        : await importInflightDirectory(deps, channel, source.dir ?? options.inflightDir, importOptions);
  return cutoverReport(`import ${source.kind}${dryRun ? ' --dry-run' : ''}`, startedAt, [report]);
}

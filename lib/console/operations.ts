/**
 * The console's one set of operations, the single source of truth behind the web console and
 * the CLI: each page and each command is one call here. Reads are masked; every mutation and
 * every reveal writes an audit row (./audit.ts) for the actor it is given.
 */
import { consumerConfig } from '../consumer/config';
import type { Db } from '../db/client';
import { configuredTopics, impressionsConfig } from '../impressions/config';
import { toError } from '../errors';
import { impressionsLag, type EndOffsetReader } from '../impressions/lag';
import { pendingConfig } from '../pending/config';
import { rectifiedGateways } from '../rectifier/adapters';
import { rectifierConfig } from '../rectifier/config';
import type { Logger } from '../log';
import { definedPartitionSpec, type PartitionSpec } from '../queue/partitions';
import type { QueueBackend } from '../queue/types';
import { listAudit, type Actor } from './audit';
import { consoleConfig } from './config';
import {
  deleteDamaged,
  executeBulkResend,
  exportDamaged,
  getDamaged,
  planBulkResend,
  resendDamaged,
  revealDamaged,
  searchDamaged,
  type DamagedFilter,
} from './damaged';
import type { InvocationFiguresReader } from './invocation-figures';
import { damagedCounts, prometheusText } from './metrics';
import { campaignMinutes } from './impressions-view';
import { pendingAges, pendingOrder } from './pending-view';
import { partitionView, peekQueue, purgeQueue, queueOverview, queueRates, redriveQueue, specIn, type PartitionStatusReader, type RedriveLimits } from './queues';
import { recentRectifierRuns, triggerRectify, type RectifyTarget } from './rectifier-view';
import { trackingHistory } from './tracking-view';
import { configuredWireFormats, type WireFormat } from './wire-format';

/** What the console uses: the queues, the database and Kafka's end offsets (impressions lag). */
export interface ConsoleDeps {
  backend: QueueBackend;
  db: Db;
  endOffsets: EndOffsetReader;
  /** Owners of partitioned queues' partitions (Redis lease keys). */
  partitionStatus: PartitionStatusReader;
  /** Every function's invocation totals, as the handler runtime records them (./invocation-figures.ts). */
  invocations: InvocationFiguresReader;
  logger: Logger;
}

export interface ConsoleOptions {
  /** The queues the console shows and acts on; no other queue can be named. */
  queues: string[];
  /** Those of them declared partitioned (queues/definitions.json). */
  partitioned: PartitionSpec[];
  wireFormats: Record<string, WireFormat>;
  redrive: RedriveLimits;
  bulkLimit: number;
  pageSize: number;
  /** Whose stored impressions offsets are shown. */
  consumerGroup: string;
  /** The topics the impressions loader consumes (their end offsets give its lag). */
  impressionsTopics: string[];
  /** Where a triggered rectifier run is queued, and for which gateways. */
  rectify: RectifyTarget;
}

/** The options from configuration: the pipelines' queue names, the console's limits. */
export function consoleOptions(): ConsoleOptions {
  const config = consoleConfig();
  const wireFormats = configuredWireFormats();
  const queues = [...new Set([...Object.keys(wireFormats), ...consumerConfig().DEAD_LETTER_QUEUES])];
  return {
    queues,
    partitioned: queues.map((queue) => definedPartitionSpec(queue)).filter((spec): spec is PartitionSpec => spec !== undefined),
    wireFormats,
    redrive: { max: config.CONSOLE_REDRIVE_MAX, perSecond: config.CONSOLE_REDRIVE_PER_SECOND },
    bulkLimit: config.CONSOLE_BULK_LIMIT,
    pageSize: config.CONSOLE_PAGE_SIZE,
    consumerGroup: impressionsConfig().IMPRESSIONS_CONSUMER_GROUP,
    impressionsTopics: configuredTopics(impressionsConfig()).map((t) => t.topic),
    rectify: { queue: pendingConfig().RECTIFY_QUEUE, gateways: rectifiedGateways(rectifierConfig()) },
  };
}

/** The operations over `deps`; mutations take the acting person. */
export function createConsoleOperations(deps: ConsoleDeps, options: ConsoleOptions) {
  const { backend, db } = deps;
  const { queues, wireFormats } = options;
  // A resend goes back through its queue's routing, as the console's own options declare it.
  const damagedDeps = { backend, db, partitionSpecOf: specIn(options.partitioned) };
  return {
    options,
    capabilities: backend.capabilities,
    queueOverview: () => queueOverview(backend, queues, options.partitioned),
    queueStats: (queue: string) => queueOverview(backend, queues, options.partitioned).then((all) => all.find((q) => q.queue === queue)),
    peek: (queue: string, count?: number) => peekQueue(backend, queues, queue, count, options.partitioned),
    rates: (queue: string) => queueRates(backend, queues, queue, options.partitioned),
    partitions: (queue: string) => partitionView(deps, queues, options.partitioned, queue),
    redrive: (actor: Actor, queue: string, max = options.redrive.max) =>
      redriveQueue(deps, actor, queues, queue, { max: Math.min(Math.max(1, max), options.redrive.max), perSecond: options.redrive.perSecond }, options.partitioned),
    purge: (actor: Actor, queue: string, confirmation: string) => purgeQueue(deps, actor, queues, queue, confirmation, options.partitioned),
    searchDamaged: (filter: DamagedFilter, page = 1) => searchDamaged(db, filter, { page, pageSize: options.pageSize }),
    getDamaged: (id: number) => getDamaged(db, wireFormats, id),
    revealDamaged: (actor: Actor, id: number) => revealDamaged(db, actor, id),
    resendDamaged: (actor: Actor, id: number, editedText?: string) => resendDamaged(damagedDeps, actor, wireFormats, id, editedText),
    deleteDamaged: (actor: Actor, id: number) => deleteDamaged(db, actor, id),
    planBulkResend: (filter: DamagedFilter) => planBulkResend(db, wireFormats, filter, options.bulkLimit),
    executeBulkResend: (actor: Actor, filter: DamagedFilter, fingerprint: string) => executeBulkResend(damagedDeps, actor, wireFormats, filter, options.bulkLimit, fingerprint),
    exportDamaged: (filter: DamagedFilter) => exportDamaged(db, filter, options.bulkLimit),
    pendingAges: (now?: Date) => pendingAges(db, now),
    pendingOrder: (gateway: string, orderId: string) => pendingOrder(db, gateway, orderId),
    rectifierRuns: () => recentRectifierRuns(db),
    triggerRectify: (actor: Actor, gateway: string) => triggerRectify(deps, actor, options.rectify, gateway),
    trackingHistory: (id: number) => trackingHistory(db, id),
    impressionsLag: () => impressionsLag(db, deps.endOffsets, options.consumerGroup, options.impressionsTopics),
    campaignMinutes: (campaign: string) => campaignMinutes(db, campaign),
    audit: (limit?: number, action?: string) => listAudit(db, { limit, action }),
    damagedCounts: () => damagedCounts(db),
    prometheus: async () => {
      const [queueFigures, damagedByQueue, pending, lag, invocations] = await Promise.all([
        queueOverview(backend, queues, options.partitioned),
        damagedCounts(db),
        pendingAges(db),
        impressionsLag(db, deps.endOffsets, options.consumerGroup, options.impressionsTopics),
        // Unreadable (Redis down), they are left out and say so, as an unreadable queue does.
        deps.invocations().catch((error: unknown) => ({ error: `${toError(error).name}: ${toError(error).message}` })),
      ]);
      return prometheusText(queueFigures, damagedByQueue, pending, lag, invocations);
    },
  };
}

export type ConsoleOperations = ReturnType<typeof createConsoleOperations>;

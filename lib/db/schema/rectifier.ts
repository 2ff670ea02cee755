import { bigint, char, datetime, index, int, longtext, mysqlTable, varchar } from 'drizzle-orm/mysql-core';

/**
 * Which rectifier run holds a gateway (lib/rectifier/gateway-lease.ts): the scheduled run and the
 * triggered ones (several at once on SQS) must not walk one gateway together, or two of them would
 * ask the processor about the same order and push its donation twice. A lease, not a lock: a run
 * that dies leaves a row that expires. `expires_at` holds UTC.
 */
export const rectifierLeases = mysqlTable('rectifier_leases', {
  gateway: varchar('gateway', { length: 255 }).primaryKey(),
  holder: char('holder', { length: 36 }).notNull(),
  expiresAt: datetime('expires_at', { mode: 'date' }).notNull(),
});

/**
 * What each rectifier run did per gateway (lib/rectifier/run-history.ts), for the console's
 * pending page: the run's summary (GatewayRun) as it was logged, the newest
 * RECTIFY_RUN_HISTORY rows of each gateway kept. `outcomes` and `processor_statuses` hold JSON
 * objects of counts (no donor data); the times hold UTC.
 */
export const rectifierRuns = mysqlTable(
  'rectifier_runs',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    gateway: varchar('gateway', { length: 255 }).notNull(),
    /** `scheduled` (rectify-orphans) or `triggered` (consume-rectify). */
    source: varchar('source', { length: 16 }).notNull(),
    startedAt: datetime('started_at', { mode: 'date', fsp: 3 }).notNull(),
    finishedAt: datetime('finished_at', { mode: 'date', fsp: 3 }).notNull(),
    attempted: int('attempted', { unsigned: true }).notNull(),
    rowsResolved: int('rows_resolved', { unsigned: true }).notNull(),
    outcomes: longtext('outcomes').notNull(),
    processorStatuses: longtext('processor_statuses').notNull(),
    stoppedBecause: varchar('stopped_because', { length: 32 }).notNull(),
  },
  (t) => [index('idx_rectifier_runs_gateway').on(t.gateway, t.id)],
);

export type RectifierRunRow = typeof rectifierRuns.$inferSelect;

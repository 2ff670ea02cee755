import { char, datetime, mysqlTable, varchar } from 'drizzle-orm/mysql-core';

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

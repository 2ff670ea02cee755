import { bigint, datetime, index, longtext, mysqlTable, varchar } from 'drizzle-orm/mysql-core';

/**
 * What operators did through the console or its CLI (lib/console/audit.ts): one row per action,
 * appended and never updated or deleted by the code. `before` and `after` hold JSON with donor
 * personal data already masked (lib/redact.ts), so reading the audit reveals nothing.
 */
export const consoleAudit = mysqlTable(
  'console_audit',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    at: datetime('at', { mode: 'date', fsp: 3 }).notNull(),
    /** Who: the JWT subject on deployed stages, the name given at sign-in locally, `cli:<user>` from the CLI. */
    actor: varchar('actor', { length: 255 }).notNull(),
    /** `web` or `cli`. */
    via: varchar('via', { length: 16 }).notNull(),
    /** Such as `damaged.resend`, `queue.purge`, `damaged.reveal`. */
    action: varchar('action', { length: 64 }).notNull(),
    /** What it acted on: `damaged:<id>`, `queue:<name>`, a search filter. */
    target: varchar('target', { length: 1024 }).notNull(),
    before: longtext('before'),
    after: longtext('after'),
  },
  (t) => [index('idx_console_audit_at').on(t.at), index('idx_console_audit_action').on(t.action, t.at)],
);

export type ConsoleAuditRow = typeof consoleAudit.$inferSelect;

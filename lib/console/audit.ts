/**
 * The console's audit log (`console_audit`, lib/db/schema/console-audit.ts): every action that
 * changes something, and every reveal of a message's personal data, appends one row: who, when,
 * what, on what, and the state before and after, masked. The log is only ever appended to.
 */
import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { consoleAudit, type ConsoleAuditRow } from '../db/schema';
import { maskJson } from './mask';

/** Who acts, and through what. */
export interface Actor {
  name: string;
  via: 'web' | 'cli';
}

/** Every action the console audits. */
export const AUDIT_ACTIONS = ['damaged.resend', 'damaged.edit-resend', 'damaged.bulk-resend', 'damaged.delete', 'damaged.reveal', 'queue.redrive', 'queue.purge', 'pending.trigger-rectify'] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  action: AuditAction;
  target: string;
  before?: unknown;
  after?: unknown;
}

/** The database handle an audit row is written with: the pool's, or a transaction's. */
export type AuditWriter = Pick<Db, 'insert'>;

const TARGET_CHARS = 1024;
const ACTOR_CHARS = 255;

/** Appends one audit row, masking `before` and `after` with lib/redact.ts. */
export async function recordAudit(db: AuditWriter, actor: Actor, entry: AuditEntry, now: Date = new Date()): Promise<void> {
  await db.insert(consoleAudit).values({
    at: now,
    actor: actor.name.slice(0, ACTOR_CHARS),
    via: actor.via,
    action: entry.action,
    target: entry.target.slice(0, TARGET_CHARS),
    before: entry.before === undefined ? null : JSON.stringify(maskJson(entry.before)),
    after: entry.after === undefined ? null : JSON.stringify(maskJson(entry.after)),
  });
}

/** The latest audit rows, newest first, optionally of one action. */
export async function listAudit(db: Db, { limit = 100, action }: { limit?: number; action?: string } = {}): Promise<ConsoleAuditRow[]> {
  const where: SQL[] = [];
  if (action) where.push(eq(consoleAudit.action, action));
  return db
    .select()
    .from(consoleAudit)
    .where(and(...where))
    .orderBy(desc(consoleAudit.at), desc(consoleAudit.id))
    .limit(limit);
}

/**
 * Keeps database policy in one place: capabilities under lib/ call lib/db (transaction.ts for
 * retries, the schema for columns) instead of growing their own. A textual check, so it only
 * catches the usual shapes: errno constants and numbers, and column lists typed inside SQL
 * string literals. lib/queue talks to Redis and SQS only and is left out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const LIB = path.resolve(__dirname, '../../../lib');
const EXEMPT = ['db', 'queue'].map((dir) => path.join(LIB, dir) + path.sep);

function capabilityFiles(dir: string = LIB): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return EXEMPT.includes(full + path.sep) ? [] : capabilityFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** `file:line: text` of every line matching one of `patterns`. */
function offenders(patterns: RegExp[]): string[] {
  return capabilityFiles().flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => (patterns.some((pattern) => pattern.test(line)) ? [`${path.relative(LIB, file)}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('database access outside lib/db', () => {
  it('should find the capability files it checks', () => {
    const files = capabilityFiles().map((file) => path.relative(LIB, file));

    expect(files).toEqual(expect.arrayContaining([path.join('tracking', 'batch-writer.ts'), path.join('impressions', 'batch-commit.ts'), path.join('pending', 'pending-store.ts')]));
    expect(files.some((file) => file.startsWith('db') || file.startsWith('queue'))).toBe(false);
  });

  it('should leave retries on database error codes to lib/db/transaction.ts', () => {
    const found = offenders([/\bER_(LOCK_DEADLOCK|LOCK_WAIT_TIMEOUT|DUP_ENTRY)\b/, /\berrno\b/, /\b(1062|1205|1213)\b/]);

    expect(found).toEqual([]);
  });

  it('should take column lists of SQL statements from the Drizzle schema, not type them by hand', () => {
    const found = offenders([
      /\b(INSERT|REPLACE)\s+(IGNORE\s+)?INTO\s+`?\w+`?\s*\(/i,
      /\bSELECT\s+(DISTINCT\s+)?`?\w+`?(\s*,\s*`?\w+`?)+\s+FROM\b/i,
    ]);

    expect(found).toEqual([]);
  });
});

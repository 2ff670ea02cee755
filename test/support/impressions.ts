/** Helpers for the impressions tests: read the tables back in the generator's terms. */
import { cellKey } from './impression-events';
import type mysql from 'mysql2/promise';

/** `bannerimpressions` joined to its dimensions, as cell key → count. */
export async function readBannerCells(pool: mysql.Pool): Promise<Map<string, number>> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT DATE_FORMAT(b.timestamp, '%Y-%m-%dT%H:%i') AS minute, b.banner, b.campaign, p.project, l.iso_code AS language, c.iso_code AS country, b.count
       FROM bannerimpressions b
       JOIN project p ON p.id = b.project_id
       JOIN language l ON l.id = b.language_id
       JOIN country c ON c.id = b.country_id`,
  );
  const cells = new Map<string, number>();
  for (const row of rows) {
    cells.set(cellKey(row as never), Number(row.count));
  }
  return cells;
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The impressions tables read back in the generator's terms (./impression-events.ts), so that
 * tests and the soak compare what the loader stored with the independent aggregate.
 */
import type mysql from 'mysql2/promise';
import { cellKey } from './impression-events';

/**
 * The facts first, each dimension then looked up by its primary key (STRAIGHT_JOIN): on tables
 * just filled, whose index statistics still say empty, the optimizer otherwise started from the
 * dimensions and probed the facts for every combination of them (the soak's check of 26,000
 * cells ran for minutes).
 */
export const BANNER_CELLS_SQL = `SELECT STRAIGHT_JOIN DATE_FORMAT(b.timestamp, '%Y-%m-%dT%H:%i') AS minute, b.banner, b.campaign, p.project, l.iso_code AS language, c.iso_code AS country, b.count
       FROM bannerimpressions b
       JOIN project p ON p.id = b.project_id
       JOIN language l ON l.id = b.language_id
       JOIN country c ON c.id = b.country_id`;

/** As BANNER_CELLS_SQL, facts first. */
export const LANDING_PAGE_ROWS_SQL = `SELECT STRAIGHT_JOIN DATE_FORMAT(r.timestamp, '%Y-%m-%d %H:%i:%s') AS timestamp, r.utm_source, r.utm_campaign, r.utm_medium, r.utm_key, r.landingpage,
            p.project, l.iso_code AS language, c.iso_code AS country
       FROM landingpageimpression_raw r
       JOIN project p ON p.id = r.project_id
       JOIN language l ON l.id = r.language_id
       JOIN country c ON c.id = r.country_id
      ORDER BY r.id`;

/** `bannerimpressions` joined to its dimensions, as cell key → count. */
export async function readBannerCells(pool: mysql.Pool): Promise<Map<string, number>> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(BANNER_CELLS_SQL);
  const cells = new Map<string, number>();
  for (const row of rows) {
    cells.set(cellKey(row as never), Number(row.count));
  }
  return cells;
}

/** `landingpageimpression_raw` joined to its dimensions, in insertion order. */
export async function readLandingPageRows(pool: mysql.Pool): Promise<Array<Record<string, string>>> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(LANDING_PAGE_ROWS_SQL);
  return rows.map((row) => ({ ...row }) as Record<string, string>);
}

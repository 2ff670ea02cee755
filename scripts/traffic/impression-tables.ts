/**
 * The impressions tables read back in the generator's terms (./impression-events.ts), so that
 * tests and the soak compare what the loader stored with the independent aggregate.
 */
import type mysql from 'mysql2/promise';
import { cellKey } from './impression-events';

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

/** `landingpageimpression_raw` joined to its dimensions, in insertion order. */
export async function readLandingPageRows(pool: mysql.Pool): Promise<Array<Record<string, string>>> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT DATE_FORMAT(r.timestamp, '%Y-%m-%d %H:%i:%s') AS timestamp, r.utm_source, r.utm_campaign, r.utm_medium, r.utm_key, r.landingpage,
            p.project, l.iso_code AS language, c.iso_code AS country
       FROM landingpageimpression_raw r
       JOIN project p ON p.id = r.project_id
       JOIN language l ON l.id = r.language_id
       JOIN country c ON c.id = r.country_id
      ORDER BY r.id`,
  );
  return rows.map((row) => ({ ...row }) as Record<string, string>);
}

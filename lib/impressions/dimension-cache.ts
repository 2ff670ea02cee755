/**
 * Ids of the dimension rows (`country`, `language`, `project`), created the first time a
 * value is seen and cached for the life of the process (a warm Lambda keeps its cache).
 *
 * Creation is safe under concurrency without locks: a missing value is inserted with INSERT
 * IGNORE against the unique key, then read back, so two loaders that meet a new value at
 * once end up with the same id. It runs in autocommit, outside the batch transaction, so a
 * dimension row is never held by a long transaction; a row created for a batch that is then
 * rolled back is harmless. Only values not found by a first read are inserted, because every
 * ignored insert would still use up an auto-increment id.
 */
import { inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { country, language, project } from '../db/schema';
import { InfrastructureError } from '../errors';
import type { DimensionValues } from './aggregation';

export type Dimension = keyof DimensionValues;

const TABLES = {
  country: { table: country, column: country.isoCode },
  language: { table: language, column: language.isoCode },
  project: { table: project, column: project.project },
} as const;

// The columns use a case-insensitive collation: the cache folds case the same way.
const fold = (value: string) => value.toLowerCase();

/** Maps dimension values to row ids, creating rows as needed. */
export class DimensionCache {
  private readonly ids: Record<Dimension, Map<string, number>> = { country: new Map(), language: new Map(), project: new Map() };

  constructor(private readonly db: Db) {}

  /** Makes sure every value has an id in the cache (one or three queries per dimension with new values). */
  async resolve(values: DimensionValues): Promise<void> {
    for (const dimension of Object.keys(TABLES) as Dimension[]) {
      const missing = [...values[dimension]].filter((value) => !this.ids[dimension].has(fold(value)));
      if (missing.length === 0) continue;
      const unknown = await this.load(dimension, missing);
      if (unknown.length === 0) continue;
      await this.insertIgnore(dimension, unknown.sort());
      const stillUnknown = await this.load(dimension, unknown);
      if (stillUnknown.length > 0) {
        throw new InfrastructureError(`${dimension} rows could not be created for ${stillUnknown.length} value(s)`);
      }
    }
  }

  /** The id of a value that `resolve` has seen. */
  id(dimension: Dimension, value: string): number {
    const id = this.ids[dimension].get(fold(value));
    if (id === undefined) throw new Error(`${dimension} value was not resolved before use`);
    return id;
  }

  /** Number of cached values (for tests and stats). */
  get size(): number {
    return this.ids.country.size + this.ids.language.size + this.ids.project.size;
  }

  private async insertIgnore(dimension: Dimension, values: string[]): Promise<void> {
    switch (dimension) {
      case 'country':
        await this.db.insert(country).ignore().values(values.map((isoCode) => ({ isoCode })));
        return;
      case 'language':
        await this.db.insert(language).ignore().values(values.map((isoCode) => ({ isoCode })));
        return;
      case 'project':
        await this.db.insert(project).ignore().values(values.map((name) => ({ project: name })));
        return;
    }
  }

  /** Reads the rows of `values` into the cache; returns the values that have no row yet. */
  private async load(dimension: Dimension, values: string[]): Promise<string[]> {
    const { table, column } = TABLES[dimension];
    const rows = await this.db.select({ id: table.id, value: column }).from(table).where(inArray(column, values));
    for (const row of rows) this.ids[dimension].set(fold(row.value), row.id);
    return values.filter((value) => !this.ids[dimension].has(fold(value)));
  }
}

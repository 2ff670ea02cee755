/**
 * Turns a batch of raw events into what the database receives: per-minute banner cells with
 * their summed counts, landing page rows, and the tallies of counted, ignored and invalid
 * events. Classification is separate from summing so that the effectively-once commit can
 * drop events that an earlier batch already applied before anything is summed.
 */
import { bannerCell, estimatedImpressions, landingPageRow, type BannerCell, type LandingPageRow } from './counting-rules';
import type { ImpressionTopic } from './config';
import { parseBannerImpression, parseLandingPageImpression } from './impression-event';

/**
 * What one event amounts to. A banner event carries two weights that are never mixed: `weight`,
 * the legacy count (the topic's or file's sampling factor), and `estimate`, the real impressions
 * it stands for by its own sample rate.
 */
export type EventOutcome =
  | { kind: 'cell'; cell: BannerCell; weight: number; estimate: number }
  | { kind: 'row'; row: LandingPageRow }
  | { kind: 'ignored' }
  | { kind: 'invalid'; reason: string; uuid: string | null };

/** Validates one event of `topic` and applies the counting rules to it. */
export function classifyEvent(topic: ImpressionTopic, raw: string | Buffer | null): EventOutcome {
  if (topic.kind === 'banner') {
    const parsed = parseBannerImpression(raw);
    if (!parsed.valid) return { kind: 'invalid', reason: parsed.reason, uuid: parsed.uuid };
    const cell = bannerCell(parsed.event);
    return cell ? { kind: 'cell', cell, weight: topic.factor, estimate: estimatedImpressions(parsed.event) } : { kind: 'ignored' };
  }
  const parsed = parseLandingPageImpression(raw);
  if (!parsed.valid) return { kind: 'invalid', reason: parsed.reason, uuid: parsed.uuid };
  const row = landingPageRow(parsed.event);
  return row ? { kind: 'row', row } : { kind: 'ignored' };
}

export interface CellCount {
  cell: BannerCell;
  /** The legacy count: the sum of the events' sampling factors. */
  count: number;
  /** The estimate of real impressions: the sum of 1 / sample rate. */
  estimatedCount: number;
}

/** Dimension values a set of outcomes refers to, by dimension. */
export interface DimensionValues {
  country: Set<string>;
  language: Set<string>;
  project: Set<string>;
}

// Cells by minute, then by each text dimension: a lookup per dimension value costs less than
// building and hashing one joined key per event (parse-and-sum CPU per event, §7.4).
type ByText<T> = Map<string, T>;
type CellIndex = Map<number, ByText<ByText<ByText<ByText<ByText<CellCount>>>>>>;

/** The sums of a batch: one entry per distinct cell, one row per landing page view. */
export class ImpressionAggregate {
  private readonly index: CellIndex = new Map();
  private readonly entries: CellCount[] = [];
  readonly rows: LandingPageRow[] = [];
  /** Events that counted (a banner cell or a landing page row). */
  counted = 0;
  /** Valid events that do not count (hidden banners, bots, other wikis). */
  ignored = 0;
  invalid = 0;

  add(outcome: EventOutcome): void {
    switch (outcome.kind) {
      case 'cell': {
        const entry = this.entry(outcome.cell);
        entry.count += outcome.weight;
        entry.estimatedCount += outcome.estimate;
        this.counted += 1;
        return;
      }
      case 'row':
        this.rows.push(outcome.row);
        this.counted += 1;
        return;
      case 'ignored':
        this.ignored += 1;
        return;
      case 'invalid':
        this.invalid += 1;
        return;
    }
  }

  /**
   * Adds everything `other` summed to this aggregate, as if its events had been added here one
   * by one (the consumer group run sums each partition's events on arrival, and a transaction
   * joins those sums).
   */
  merge(other: ImpressionAggregate): void {
    for (const entry of other.entries) {
      const mine = this.entry(entry.cell);
      mine.count += entry.count;
      mine.estimatedCount += entry.estimatedCount;
    }
    for (const row of other.rows) this.rows.push(row);
    this.counted += other.counted;
    this.ignored += other.ignored;
    this.invalid += other.invalid;
  }

  /** The cell's entry, created with zero counts when the cell is new. */
  private entry(cell: BannerCell): CellCount {
    // Written out rather than through a helper taking a factory: five closures per event cost
    // more than the lookups (CPU profile of parse-and-sum).
    let banners = this.index.get(cell.minute);
    if (banners === undefined) this.index.set(cell.minute, (banners = new Map()));
    let campaigns = banners.get(cell.banner);
    if (campaigns === undefined) banners.set(cell.banner, (campaigns = new Map()));
    let projects = campaigns.get(cell.campaign);
    if (projects === undefined) campaigns.set(cell.campaign, (projects = new Map()));
    let languages = projects.get(cell.project);
    if (languages === undefined) projects.set(cell.project, (languages = new Map()));
    let countries = languages.get(cell.language);
    if (countries === undefined) languages.set(cell.language, (countries = new Map()));
    let entry = countries.get(cell.country);
    if (entry === undefined) {
      entry = { cell, count: 0, estimatedCount: 0 };
      countries.set(cell.country, entry);
      this.entries.push(entry);
    }
    return entry;
  }

  /** Cells plus landing page rows held: what the aggregate costs in memory, whatever the number of events. */
  get size(): number {
    return this.entries.length + this.rows.length;
  }

  /** The cells, in the order of the table's unique key (keeps concurrent writers from deadlocking). */
  cells(): CellCount[] {
    return [...this.entries].sort((a, b) => compareCells(a.cell, b.cell));
  }

  /** Every cell and row, for the dimension values they name. */
  *dimensionTargets(): Iterable<BannerCell | LandingPageRow> {
    for (const entry of this.entries) yield entry.cell;
    yield* this.rows;
  }

  get cellCount(): number {
    return this.entries.length;
  }
}

/** The dimension values that the cells and rows of `aggregates` need ids for. */
export function aggregateDimensionValues(aggregates: Iterable<ImpressionAggregate>): DimensionValues {
  const values: DimensionValues = { country: new Set(), language: new Set(), project: new Set() };
  for (const aggregate of aggregates) {
    for (const target of aggregate.dimensionTargets()) {
      values.country.add(target.country);
      values.language.add(target.language);
      values.project.add(target.project);
    }
  }
  return values;
}

/** The dimension values that `outcomes` need ids for. */
export function dimensionValues(outcomes: Iterable<EventOutcome>): DimensionValues {
  const values: DimensionValues = { country: new Set(), language: new Set(), project: new Set() };
  for (const outcome of outcomes) {
    const target = outcome.kind === 'cell' ? outcome.cell : outcome.kind === 'row' ? outcome.row : null;
    if (!target) continue;
    values.country.add(target.country);
    values.language.add(target.language);
    values.project.add(target.project);
  }
  return values;
}

function compareCells(a: BannerCell, b: BannerCell): number {
  return (
    a.minute - b.minute ||
    compareText(a.banner, b.banner) ||
    compareText(a.campaign, b.campaign) ||
    compareText(a.project, b.project) ||
    compareText(a.language, b.language) ||
    compareText(a.country, b.country)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

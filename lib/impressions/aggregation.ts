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

/** The sums of a batch: one entry per distinct cell, one row per landing page view. */
export class ImpressionAggregate {
  private readonly cellsByKey = new Map<string, CellCount>();
  readonly rows: LandingPageRow[] = [];
  /** Events that counted (a banner cell or a landing page row). */
  counted = 0;
  /** Valid events that do not count (hidden banners, bots, other wikis). */
  ignored = 0;
  invalid = 0;

  add(outcome: EventOutcome): void {
    switch (outcome.kind) {
      case 'cell': {
        const { cell } = outcome;
        // Banner and campaign are validated: neither can hold the separator.
        const key = `${cell.minute}\u0001${cell.banner}\u0001${cell.campaign}\u0001${cell.project}\u0001${cell.language}\u0001${cell.country}`;
        const entry = this.cellsByKey.get(key);
        if (entry) {
          entry.count += outcome.weight;
          entry.estimatedCount += outcome.estimate;
        } else {
          this.cellsByKey.set(key, { cell, count: outcome.weight, estimatedCount: outcome.estimate });
        }
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

  /** The cells, in the order of the table's unique key (keeps concurrent writers from deadlocking). */
  cells(): CellCount[] {
    return [...this.cellsByKey.values()].sort((a, b) => compareCells(a.cell, b.cell));
  }

  get cellCount(): number {
    return this.cellsByKey.size;
  }
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

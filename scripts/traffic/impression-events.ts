/**
 * Generates CentralNotice impression events for tests and the benchmark, together with the
 * outcome each one must have. The expected outcome comes from the generator's own tables
 * (every choice is listed with the value the legacy rules give it), never from the loader's
 * code, so the tests compare the loader against an independent computation.
 */

/** Deterministic PRNG (mulberry32), so failures can be replayed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// [value sent, value the rules must store]
const PROJECTS: Array<[string, string]> = [
  ['enwiki', 'enwiki'],
  ['dewiki', 'dewiki'],
  ['commonswiki', 'commonswiki'],
  ['wikidatawiki', 'wikidatawiki'],
  ['frwiki', 'frwiki'],
  ['enwiktionary', 'other_project'],
  ['foundationwiki', 'foundationwiki'],
  ['wikimania2025', 'other_project'],
];
const LANGUAGES: Array<[string, string]> = [
  ['en', 'en'],
  ['de', 'de'],
  ['fr', 'fr'],
  ['ja', 'ja'],
  ['pt', 'pt'],
  ['pt-br', 'other'],
  ['zh-hans', 'other'],
  ['sr-ec', 'other'],
  ['gsw', 'other'],
  ['uk', 'uk'],
];
const COUNTRIES: Array<[string | undefined, string]> = [
  ['US', 'US'],
  ['DE', 'DE'],
  ['FR', 'FR'],
  ['BR', 'BR'],
  ['JP', 'JP'],
  ['gb', 'GB'],
  [undefined, 'XX'],
];
const BANNERS = ['B2425_1127_en6C_dsk_p1_lg_txt_cnt', 'B2425_1127_en6C_dsk_p1_lg_txt_var', 'B2425_1127_deDE_mob_p2_sm_ctrl', 'B2425_1127_frFR_dsk_p1_lg_dsn'];
const CAMPAIGNS = ['C2425_en6C_dsk_FR', 'C2425_deDE_mob_FR', 'C2425_frFR_dsk_FR (test)'];
const HIDDEN_STATUS = ['2.11', '1', '4', '5.2'];
// Ways to make an event invalid, each breaking one rule.
const INVALID: Array<(event: GeneratedEvent['body']) => void> = [
  (body) => (body.dt = '2024-11-27 13:00:00'),
  (body) => (body.event.country = 'USA'),
  (body) => (body.event.banner = 'B2425 bad banner!'),
  (body) => (body.event.uselang = 'EN'),
  (body) => (body.event.db = 'en wiki'),
  (body) => (body.event.campaign = 'C2425<script>'),
];

export interface ExpectedCell {
  /** `YYYY-MM-DDTHH:MM` (UTC minute). */
  minute: string;
  banner: string;
  campaign: string;
  project: string;
  language: string;
  country: string;
}

export interface GeneratedEvent {
  partition: number;
  body: {
    dt: string;
    uuid: string;
    wiki: string;
    schema: string;
    userAgent: { is_bot: boolean; browser_family: string };
    event: Record<string, unknown>;
  };
  /** What the loader must do with it. */
  expected: { outcome: 'counted'; cell: ExpectedCell } | { outcome: 'ignored' } | { outcome: 'invalid' };
}

export interface GenerateOptions {
  count: number;
  partitions: number;
  seed?: number;
  /** First minute of the events (epoch ms); events spread over `minutes` minutes. */
  start?: number;
  minutes?: number;
  /** Share of events that are invalid, hidden, and from bots. */
  invalidShare?: number;
  hiddenShare?: number;
  botShare?: number;
}

/** Generates `count` events, spread round-robin over the partitions. */
export function generateBannerEvents(options: GenerateOptions): GeneratedEvent[] {
  const next = random(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  // Real traffic is dominated by a few wikis, languages and countries: pick those Zipf-like.
  const pickSkewed = <T>(items: readonly T[]): T => {
    const weights = items.map((_, i) => 1 / (i + 1) ** 1.3);
    let roll = next() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < items.length; i++) {
      roll -= weights[i]!;
      if (roll < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  };
  const start = options.start ?? Date.UTC(2024, 10, 27, 13, 0, 0);
  const minutes = options.minutes ?? 90;
  const events: GeneratedEvent[] = [];
  for (let i = 0; i < options.count; i++) {
    const time = start + Math.floor(next() * minutes * 60_000);
    const withMillis = next() < 0.5;
    const dt = withMillis ? new Date(time).toISOString() : new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const [db, project] = pickSkewed(PROJECTS);
    const [uselang, language] = pickSkewed(LANGUAGES);
    const [country, storedCountry] = pickSkewed(COUNTRIES);
    const banner = pick(BANNERS);
    const campaign = pick(CAMPAIGNS);
    const roll = next();
    const invalid = roll < (options.invalidShare ?? 0.01);
    const hidden = !invalid && roll < (options.invalidShare ?? 0.01) + (options.hiddenShare ?? 0.25);
    const bot = !invalid && !hidden && next() < (options.botShare ?? 0.05);
    const event: Record<string, unknown> = {
      anonymous: true,
      project: 'wikipedia',
      db,
      uselang,
      device: 'desktop',
      debug: false,
      impressionEventSampleRate: 0.01,
      recordImpressionSampleRate: 0.01,
      status: hidden ? 'banner_canceled' : 'banner_shown',
      statusCode: hidden ? pick(HIDDEN_STATUS) : '6',
      campaignCategory: 'fundraising',
      campaign,
      bucket: Math.floor(next() * 4),
      banner,
      result: hidden ? 'hide' : 'show',
    };
    if (country !== undefined) event.country = country;
    const body: GeneratedEvent['body'] = {
      dt,
      uuid: Math.floor(next() * 2 ** 52).toString(16).padStart(13, '0') + i.toString(16).padStart(19, '0'),
      wiki: db,
      schema: 'CentralNoticeImpression',
      userAgent: { is_bot: bot, browser_family: bot ? 'Googlebot' : 'Firefox' },
      event,
    };
    let expected: GeneratedEvent['expected'];
    if (invalid) {
      pick(INVALID)(body);
      expected = { outcome: 'invalid' };
    } else if (hidden || bot) {
      expected = { outcome: 'ignored' };
    } else {
      const minute = new Date(time).toISOString().slice(0, 16);
      expected = { outcome: 'counted', cell: { minute, banner, campaign, project, language, country: storedCountry } };
    }
    events.push({ partition: i % options.partitions, body, expected });
  }
  return events;
}

/** The key tests use to compare cells. */
export function cellKey(cell: ExpectedCell): string {
  return [cell.minute, cell.banner, cell.campaign, cell.project, cell.language, cell.country].join('|');
}

/** Expected `bannerimpressions` content: cell key → count, each counted event adding `factor`. */
export function expectedCells(events: GeneratedEvent[], factor: number): Map<string, number> {
  const cells = new Map<string, number>();
  for (const { expected } of events) {
    if (expected.outcome !== 'counted') continue;
    const key = cellKey(expected.cell);
    cells.set(key, (cells.get(key) ?? 0) + factor);
  }
  return cells;
}

/** How many events of each outcome. */
export function expectedTallies(events: GeneratedEvent[]): { counted: number; ignored: number; invalid: number } {
  const tallies = { counted: 0, ignored: 0, invalid: 0 };
  for (const { expected } of events) tallies[expected.outcome] += 1;
  return tallies;
}

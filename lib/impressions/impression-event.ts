/**
 * Parsing and validation of impression events, as the legacy loader validated them.
 *
 * An event that fails validation is reported with the name of the rule it broke (never its
 * values), so that callers can count it and log a sample; it never throws. Strings that are
 * merely too long are truncated, not rejected, as before.
 */
import { isJsonObject, parseJsonObject } from '../json-object';
import { truncateChars } from '../truncate';

/** A CentralNotice banner impression event, validated. */
export interface BannerImpressionEvent {
  /** Event time, epoch milliseconds (UTC). */
  time: number;
  uuid: string | null;
  /** `statusCode` was "6": the banner was shown. */
  shown: boolean;
  bot: boolean;
  /** '' when the event has none; at most 255 characters. */
  banner: string;
  /** '' when the event has none; at most 255 characters. */
  campaign: string;
  db: string;
  uselang: string;
  /** Two letters as received, or null when absent. */
  country: string | null;
  /**
   * `event.impressionEventSampleRate`: the share of impressions the browser sent an event for,
   * in (0, 1]; null when absent or not such a number. The legacy loader never read it, so it
   * only feeds the estimate beside the legacy count and never invalidates an event.
   */
  sampleRate: number | null;
}

/** A landing page impression event, validated. Absent fields are null. */
export interface LandingPageImpressionEvent {
  time: number;
  uuid: string | null;
  /** `userAgent.is_bot`, as for a banner event (the legacy loader ignored both kinds from bots). */
  bot: boolean;
  wiki: string;
  landingpage: string | null;
  country: string | null;
  language: string | null;
  utm_source: string | null;
  utm_campaign: string | null;
  utm_medium: string | null;
  utm_key: string | null;
  contact_id: string | null;
  link_id: string | null;
  template: string | null;
  appeal: string | null;
  appeal_template: string | null;
  form_template: string | null;
  form_countryspecific: string | null;
}

export type ParseResult<T> = { valid: true; event: T } | { valid: false; reason: string; uuid: string | null };

const DT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;
const COUNTRY = /^[a-zA-Z]{2}$/;
const LANGUAGE = /^[a-z]+(?:[_-][a-zA-Z0-9]+)?$/;
const LANGUAGE_MAX = 24;
const PROJECT = /^[a-z0-9\-_.]+$/;
const PROJECT_MAX = 128;
const BANNER = /^[A-Za-z0-9_]+$/;
/**
 * The legacy default rule for free-text fields (campaign, utm values, ...). Python's `\w`
 * matches any Unicode letter or digit, so ours does too.
 */
const DEFAULT_TEXT = /^[\p{L}\p{N}_\-.@$%+&|()/: ]*$/u;

const BANNER_MAX = 255;
const CAMPAIGN_MAX = 255;

const LANDING_PAGE_LIMITS = {
  utm_source: 255,
  utm_campaign: 255,
  utm_medium: 255,
  utm_key: 128,
  landingpage: 255,
  contact_id: 255,
  link_id: 128,
  template: Infinity,
  appeal: Infinity,
  appeal_template: Infinity,
  form_template: Infinity,
  form_countryspecific: Infinity,
} as const;
type LandingPageTextField = keyof typeof LANDING_PAGE_LIMITS;
const LANDING_PAGE_TEXT_FIELDS = Object.keys(LANDING_PAGE_LIMITS) as LandingPageTextField[];

class InvalidEvent {
  constructor(readonly reason: string) {}
}

type Json = Record<string, unknown>;

/** Parses one banner impression event (a JSON object in EventLogging form). */
export function parseBannerImpression(raw: string | Buffer | null): ParseResult<BannerImpressionEvent> {
  return parseEvent(raw, ({ data, event, time, uuid, country }) => {
    const uselang = requiredText(event, 'uselang');
    if (uselang.length > LANGUAGE_MAX || !LANGUAGE.test(uselang)) throw new InvalidEvent('event.uselang is not a language code');
    const db = requiredText(event, 'db');
    if (db.length > PROJECT_MAX || !PROJECT.test(db)) throw new InvalidEvent('event.db is not a wiki database name');
    const banner = optionalText(event, 'banner');
    if (banner !== null && !BANNER.test(banner)) throw new InvalidEvent('event.banner has characters outside [A-Za-z0-9_]');
    const campaign = optionalText(event, 'campaign');
    if (campaign !== null && !DEFAULT_TEXT.test(campaign)) throw new InvalidEvent('event.campaign has characters not allowed');
    return {
      time,
      uuid,
      shown: event.statusCode === '6',
      bot: isBot(data),
      banner: truncateChars(banner ?? '', BANNER_MAX),
      campaign: truncateChars(campaign ?? '', CAMPAIGN_MAX),
      db,
      uselang,
      country,
      sampleRate: sampleRate(event.impressionEventSampleRate),
    };
  });
}

/** A rate in (0, 1], given as a number or a numeric string; anything else is no rate. */
function sampleRate(value: unknown): number | null {
  const rate = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(rate) && rate > 0 && rate <= 1 ? rate : null;
}

/** Parses one landing page impression event (a JSON object in EventLogging form). */
export function parseLandingPageImpression(raw: string | Buffer | null): ParseResult<LandingPageImpressionEvent> {
  return parseEvent(raw, ({ data, event, time, uuid, country }) => {
    const language = optionalText(event, 'language');
    if (language !== null && (language.length > LANGUAGE_MAX || !LANGUAGE.test(language))) {
      throw new InvalidEvent('event.language is not a language code');
    }
    const wiki = requiredText(data, 'wiki', '');
    if (!DEFAULT_TEXT.test(wiki)) throw new InvalidEvent('wiki has characters not allowed');
    const text = {} as Record<LandingPageTextField, string | null>;
    for (const field of LANDING_PAGE_TEXT_FIELDS) {
      const value = optionalText(event, field);
      if (value !== null && !DEFAULT_TEXT.test(value)) throw new InvalidEvent(`event.${field} has characters not allowed`);
      text[field] = value === null ? null : truncateChars(value, LANDING_PAGE_LIMITS[field]);
    }
    return { time, uuid, bot: isBot(data), wiki, country, language, ...text };
  });
}

/** What every EventLogging event carries, checked the same way for both kinds. */
interface Envelope {
  data: Json;
  event: Json;
  time: number;
  uuid: string | null;
  country: string | null;
}

/**
 * Checks the envelope, then lets `build` check the rest; a broken rule becomes an invalid
 * result carrying the uuid when it was readable, so that callers can count and sample it.
 */
function parseEvent<T>(raw: string | Buffer | null, build: (envelope: Envelope) => T): ParseResult<T> {
  let uuid: string | null = null;
  try {
    const data = parseObject(raw);
    uuid = typeof data.uuid === 'string' ? data.uuid : null;
    const event = objectField(data, 'event');
    const time = parseTime(data.dt);
    const country = optionalText(event, 'country');
    if (country !== null && !COUNTRY.test(country)) throw new InvalidEvent('event.country is not two letters');
    return { valid: true, event: build({ data, event, time, uuid, country }) };
  } catch (error) {
    return invalid(error, uuid);
  }
}

function parseObject(raw: string | Buffer | null): Json {
  if (raw === null) throw new InvalidEvent('empty record');
  const parsed = parseJsonObject(raw);
  if (!parsed.ok) throw new InvalidEvent(parsed.problem === 'not-json' ? 'not JSON' : 'not a JSON object');
  return parsed.value;
}

/**
 * What the legacy tables' TIMESTAMP columns hold, in the UTC sessions the loader uses: from
 * 1970-01-01 00:00:01 to 2038-01-19 03:14:07, the first minute left out since an event is counted
 * in the minute it falls in and the 00:00 minute is not a TIMESTAMP. An event outside would make
 * the server refuse the whole transaction, every run again: its partition would never move on.
 */
const EARLIEST_TIME = Date.UTC(1970, 0, 1, 0, 1, 0);
const LATEST_TIME = Date.UTC(2038, 0, 19, 3, 14, 7);

function parseTime(value: unknown): number {
  if (typeof value !== 'string' || !DT.test(value)) throw new InvalidEvent('dt is not an ISO 8601 UTC time');
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new InvalidEvent('dt is not an ISO 8601 UTC time');
  if (time < EARLIEST_TIME || time > LATEST_TIME) throw new InvalidEvent('dt is outside what a TIMESTAMP holds (1970-01-01 00:01 to 2038-01-19 03:14:07 UTC)');
  return time;
}

function isBot(data: Json): boolean {
  const userAgent = data.userAgent;
  return isJsonObject(userAgent) && userAgent.is_bot === true;
}

function objectField(data: Json, key: string): Json {
  const value = data[key];
  if (!isJsonObject(value)) throw new InvalidEvent(`${key} is missing or not an object`);
  return value;
}

function requiredText(data: Json, key: string, prefix = 'event.'): string {
  const value = optionalText(data, key, prefix);
  if (value === null) throw new InvalidEvent(`${prefix}${key} is missing`);
  return value;
}

/** Strings as they are; numbers and booleans as their text (older producers sent some ids as numbers). */
function optionalText(data: Json, key: string, prefix = 'event.'): string | null {
  const value = data[key];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new InvalidEvent(`${prefix}${key} is not text`);
}

function invalid(error: unknown, uuid: string | null): { valid: false; reason: string; uuid: string | null } {
  if (error instanceof InvalidEvent) return { valid: false, reason: error.reason, uuid };
  throw error;
}

/**
 * The legacy loader's counting rules: which validated events count, and under which
 * dimension values. Pure functions; the database ids of the values are resolved later.
 */
import type { BannerImpressionEvent, LandingPageImpressionEvent } from './impression-event';

/** Languages that get their own rows; every other language is counted as `other`. */
export const DETAIL_LANGUAGES: ReadonlySet<string> = new Set([
  'en', 'fr', 'it', 'ja', 'nl', 'es', 'ru', 'hi', 'de', 'pt', 'sv', 'nb',
  'he', 'da', 'zh', 'fi', 'pl', 'cs', 'ar', 'el', 'ko', 'tr', 'ms', 'uk',
]);
export const OTHER_LANGUAGE = 'other';
export const OTHER_PROJECT = 'other_project';
export const UNKNOWN_COUNTRY = 'XX';
/** Landing page events without a language are counted as English (legacy default). */
export const DEFAULT_LANDING_PAGE_LANGUAGE = 'en';
export const LANDING_PAGE_WIKI = 'donatewiki';
const SPECIAL_LANDING_PAGE = 'Special:LandingPage';
const LANDING_PAGE_PARTS = ['template', 'appeal_template', 'appeal', 'form_template', 'form_countryspecific'] as const;

/** The dimension values of one `bannerimpressions` cell. */
export interface BannerCell {
  /** Start of the event's UTC minute, epoch milliseconds. */
  minute: number;
  banner: string;
  campaign: string;
  project: string;
  language: string;
  country: string;
}

/** One `landingpageimpression_raw` row, before its dimension ids are known. */
export interface LandingPageRow {
  /** Event time truncated to the second, epoch milliseconds. */
  time: number;
  utmSource: string;
  utmCampaign: string;
  utmMedium: string;
  utmKey: string;
  landingpage: string;
  project: string;
  language: string;
  country: string;
  /**
   * The CRM contact who followed an email link, or null: a view with one also goes to
   * `donatewiki_unique` (once per utm_source and contact). Donor data: never logged.
   */
  contactId: string | null;
  /** The link followed ('' when none). */
  linkId: string;
}

/**
 * How many real impressions one banner event stands for, by its own sample rate: 1 / rate
 * (`impressionEventSampleRate` 0.01 → 100). An event without a usable rate stands for itself.
 * This is the estimate beside the legacy count, which adds the topic's factor instead.
 */
export function estimatedImpressions(event: BannerImpressionEvent): number {
  return event.sampleRate === null ? 1 : 1 / event.sampleRate;
}

/** The cell a banner event counts in, or null when it does not count (not shown, or a bot). */
export function bannerCell(event: BannerImpressionEvent): BannerCell | null {
  if (!event.shown || event.bot) return null;
  return {
    minute: event.time - (((event.time % 60_000) + 60_000) % 60_000),
    banner: event.banner,
    campaign: event.campaign,
    project: event.db.endsWith('wiki') ? event.db : OTHER_PROJECT,
    language: DETAIL_LANGUAGES.has(event.uselang) ? event.uselang : OTHER_LANGUAGE,
    country: normaliseCountry(event.country),
  };
}

/**
 * The raw row of a landing page event, or null when it is not a donatewiki page view or comes
 * from a declared bot (the legacy loader, FRUEC, ignored those as it did bots' banner events).
 */
export function landingPageRow(event: LandingPageImpressionEvent): LandingPageRow | null {
  if (event.wiki !== LANDING_PAGE_WIKI || event.bot) return null;
  return {
    time: event.time - (((event.time % 1000) + 1000) % 1000),
    utmSource: event.utm_source ?? '',
    utmCampaign: event.utm_campaign ?? '',
    utmMedium: event.utm_medium ?? '',
    utmKey: event.utm_key ?? '',
    landingpage: composeLandingPage(event),
    project: event.wiki,
    language: event.language ?? DEFAULT_LANDING_PAGE_LANGUAGE,
    country: normaliseCountry(event.country),
    // The legacy loader kept a contact only when the id was not empty.
    contactId: event.contact_id ? event.contact_id : null,
    linkId: event.link_id ?? '',
  };
}

/**
 * `Special:LandingPage` views are recorded by the page's parts, joined with `~`, each part
 * reduced to the text after its last `-` (`Lp-layout-default` → `default`), `default` when
 * missing. Other pages keep their name.
 */
export function composeLandingPage(event: LandingPageImpressionEvent): string {
  if (event.landingpage !== SPECIAL_LANDING_PAGE) return event.landingpage ?? '';
  return LANDING_PAGE_PARTS.map((part) => lastSegment(event[part] ?? 'default')).join('~');
}

/** Python's `rpartition('-')` rule of the legacy loader: after the last `-`, else before it, else `default`. */
function lastSegment(value: string): string {
  const cut = value.lastIndexOf('-');
  if (cut < 0) return value || 'default';
  return value.slice(cut + 1) || value.slice(0, cut) || 'default';
}

/** Country codes are stored upper case; events without one count as `XX`. */
function normaliseCountry(country: string | null): string {
  return country === null ? UNKNOWN_COUNTRY : country.toUpperCase();
}

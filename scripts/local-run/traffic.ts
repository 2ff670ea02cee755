/**
 * Realistic traffic for the local run, as pure functions: donor journeys (a contribution
 * tracking event, the pending message of the payment, its payments-init outcome, and for a
 * completed payment a tracking update with the contribution id), banner and landing page
 * impression events, orphaned payments for the rectifier with the processor's answer, rows old
 * enough to expire, and deliberately bad messages. The personal data is invented: example.org
 * addresses, documentation IP ranges (RFC 5737).
 *
 * Everything takes a random source, so tests can make it deterministic.
 */
import { minorUnits } from '../../lib/rectifier/money';
import type { CheckoutAnswer, OrderAnswer } from '../processor-simulator';
import type { AdyenPaymentState } from '../simulators/adyen';
import type { CheckoutScenario, OrderScenario } from '../simulators/paypal';
import type { WorldlineHostedCheckoutState, WorldlinePaymentState } from '../simulators/worldline';

export type Random = () => number;
type Body = Record<string, unknown>;

interface Locale {
  country: string;
  currency: string;
  language: string;
  wiki: string;
  city: string;
  amounts: string[];
}

const LOCALES: Locale[] = [
  { country: 'US', currency: 'USD', language: 'en', wiki: 'enwiki', city: 'Springfield', amounts: ['2.75', '15.00', '25.00', '50.00'] },
  { country: 'GB', currency: 'GBP', language: 'en', wiki: 'enwiki', city: 'Leeds', amounts: ['2.00', '10.00', '20.00'] },
  { country: 'DE', currency: 'EUR', language: 'de', wiki: 'dewiki', city: 'Kassel', amounts: ['5.00', '10.00', '25.00'] },
  { country: 'NL', currency: 'EUR', language: 'nl', wiki: 'nlwiki', city: 'Utrecht', amounts: ['5.00', '10.00'] },
  { country: 'BR', currency: 'BRL', language: 'pt', wiki: 'ptwiki', city: 'Recife', amounts: ['10.00', '25.00', '50.00'] },
  { country: 'JP', currency: 'JPY', language: 'ja', wiki: 'jawiki', city: 'Sendai', amounts: ['300', '1000', '3000'] },
];
const FIRST_NAMES = ['Alex', 'Maria', 'Henk', 'Yuki', 'Sam', 'Ana', 'Jonas', 'Priya'];
const LAST_NAMES = ['Doe', 'Souza', 'Jansen', 'Sato', 'Smith', 'Lima', 'Weber', 'Rao'];
const IP_PREFIXES = ['192.0.2.', '198.51.100.', '203.0.113.'];
/** Gateways whose fresh pending rows the rectifier leaves alone (too young) or never sees. */
const DONATION_GATEWAYS: Array<{ gateway: string; method: string; submethod: string }> = [
  { gateway: 'adyen', method: 'cc', submethod: 'visa' },
  { gateway: 'astropay', method: 'cc', submethod: 'mc' },
  { gateway: 'ingenico', method: 'cc', submethod: 'visa' },
  { gateway: 'paypal_ec', method: 'paypal', submethod: '' },
];

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length) % items.length]!;

/** `YYYYmmddHHMMSS` in UTC, the tracking wire format. */
export function trackingTs(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function campaignFor(locale: Locale, date: Date): { banner: string; campaign: string; utmSource: string } {
  const day = `${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCDate()).padStart(2, '0')}`;
  const tag = `${locale.language}${locale.country}`;
  const banner = `B2425_${day}_${tag}_dsk_p1_lg_txt_cnt`;
  return { banner, campaign: `C2425_${tag}_dsk_FR`, utmSource: `${banner}.no-LP.cc` };
}

/** One donor's visit: what the frontend tracks before sending the donor to the processor. */
export interface DonorJourney {
  /** Sequence number within the run (unique), used for example.org addresses and event ids. */
  n: number;
  locale: Locale;
  gateway: string;
  paymentMethod: string;
  paymentSubmethod: string;
  amount: string;
  firstName: string;
  lastName: string;
  userIp: string;
  /** The payment's outcome (payments-init `payments_final_status`). */
  outcome: 'complete' | 'failed';
}

/** Draws a donor journey; about one payment in four fails. */
export function donorJourney(n: number, random: Random): DonorJourney {
  const locale = pick(random, LOCALES);
  const gateway = pick(random, DONATION_GATEWAYS);
  return {
    n,
    locale,
    gateway: gateway.gateway,
    paymentMethod: gateway.method,
    paymentSubmethod: gateway.submethod,
    amount: pick(random, locale.amounts),
    firstName: pick(random, FIRST_NAMES),
    lastName: pick(random, LAST_NAMES),
    userIp: `${pick(random, IP_PREFIXES)}${1 + Math.floor(random() * 254)}`,
    outcome: random() < 0.25 ? 'failed' : 'complete',
  };
}

/** The first tracking event of a journey, without an id (the endpoint allocates one). */
export function trackingFirstEvent(journey: DonorJourney, now: Date): Body {
  const { campaign, utmSource } = campaignFor(journey.locale, now);
  return {
    ts: trackingTs(now),
    referrer: `https://${journey.locale.language}.wikipedia.org/wiki/Special:Search`,
    utm_source: utmSource,
    utm_medium: 'sitenotice',
    utm_campaign: campaign,
    utm_key: 'vw_1366.vh_657.ptf_1',
    language: journey.locale.language,
    country: journey.locale.country,
    form_amount: `${journey.locale.currency} ${journey.amount}`,
    payments_form: `${journey.gateway}.v=${journey.paymentMethod}_default`,
    anonymous: '0',
    optout: journey.n % 3 === 0 ? '1' : '0',
  };
}

/** The later tracking event that links the tracking row to the imported contribution. */
export function trackingContributionEvent(trackingId: number, contributionId: number, now: Date): Body {
  return { id: String(trackingId), ts: trackingTs(now), contribution_id: String(contributionId) };
}

/** The pending message of a journey's payment (the donor is at the processor now). */
export function pendingMessage(journey: DonorJourney, trackingId: number, date: Date): Body {
  const { campaign, utmSource } = campaignFor(journey.locale, date);
  const message: Body = {
    gateway: journey.gateway,
    gateway_account: 'default',
    contribution_tracking_id: String(trackingId),
    order_id: `${trackingId}.1`,
    gross: journey.amount,
    currency: journey.locale.currency,
    fee: '0',
    date: Math.floor(date.getTime() / 1000),
    email: `donor${journey.n}@example.org`,
    first_name: journey.firstName,
    last_name: journey.lastName,
    street_address: `${1 + (journey.n % 90)} Example Street`,
    city: journey.locale.city,
    postal_code: String(10000 + (journey.n % 89999)),
    country: journey.locale.country,
    language: journey.locale.language,
    payment_method: journey.paymentMethod,
    ...(journey.paymentSubmethod ? { payment_submethod: journey.paymentSubmethod } : {}),
    response: 'redirected',
    user_ip: journey.userIp,
    utm_source: utmSource,
    utm_medium: 'sitenotice',
    utm_campaign: campaign,
  };
  if (journey.gateway === 'paypal_ec') message.gateway_session_id = `EC-LOCAL${trackingId}`;
  return message;
}

/** The payments-init message: the final outcome of the journey's payment attempt. */
export function paymentsInitMessage(journey: DonorJourney, trackingId: number, date: Date): Body {
  return {
    validation_action: 'process',
    payments_final_status: journey.outcome,
    payment_method: journey.paymentMethod,
    ...(journey.paymentSubmethod ? { payment_submethod: journey.paymentSubmethod } : {}),
    country: journey.locale.country,
    amount: journey.amount,
    currency: journey.locale.currency,
    gateway: journey.gateway,
    gateway_txn_id: `LOCAL-TXN-${trackingId}`,
    order_id: `${trackingId}.1`,
    contribution_tracking_id: String(trackingId),
    server: 'payments-local',
    date: Math.floor(date.getTime() / 1000),
  };
}

/** An orphan: a pending row the donor never came back from, and what its processor answers. */
export interface Orphan {
  message: Body;
  /** Hosted-payment answer for `order` or express-checkout answer for `checkout`. */
  order?: { orderId: string; answer: OrderAnswer };
  checkout?: { token: string; answer: CheckoutAnswer };
  /** Whether the rectifier should push a donations message for it. */
  becomesDonation: boolean;
}

/**
 * An orphaned payment dated `ageMinutes` ago on a rectified gateway. The mix: approvals and
 * completions at the hosted-payment processor (donations), cancellations, completed express
 * checkouts (donations) and never-initiated ones (discarded).
 */
export function orphanPayment(n: number, trackingId: number, now: Date, ageMinutes: number, random: Random): Orphan {
  const date = new Date(now.getTime() - ageMinutes * 60_000);
  const kind = n % 5;
  const hosted = kind <= 2;
  const journey: DonorJourney = {
    ...donorJourney(n, random),
    gateway: hosted ? 'ingenico' : 'paypal_ec',
    paymentMethod: hosted ? 'cc' : 'paypal',
    paymentSubmethod: hosted ? 'visa' : '',
    outcome: 'complete',
  };
  const message = pendingMessage(journey, trackingId, date);
  const orderId = String(message.order_id);
  if (kind === 0) return { message, order: { orderId, answer: { statusCode: 600 } }, becomesDonation: true };
  if (kind === 1) return { message, order: { orderId, answer: { statusCode: 800, gatewayTxnId: `LOCAL-HP-${trackingId}` } }, becomesDonation: true };
  if (kind === 2) return { message, order: { orderId, answer: { statusCode: 150 } }, becomesDonation: false };
  const token = String(message.gateway_session_id);
  if (kind === 3) {
    return { message, checkout: { token, answer: { checkoutStatus: 'PaymentActionCompleted', gatewayTxnId: `LOCAL-EC-${trackingId}` } }, becomesDonation: true };
  }
  return { message, checkout: { token, answer: { checkoutStatus: 'PaymentActionNotInitiated' } }, becomesDonation: false };
}

/** What a processor simulator is told about one orphan's payment. */
export type ProcessorScenario =
  | { processor: 'worldline'; payment?: { id: string; state: WorldlinePaymentState }; hostedCheckout?: { id: string; state: WorldlineHostedCheckoutState } }
  | { processor: 'adyen'; payment?: { pspReference: string; state: AdyenPaymentState; redirectResult: string } }
  | { processor: 'paypal-orders'; order: { id: string; scenario: OrderScenario } }
  | { processor: 'paypal-nvp'; checkout: { token: string; scenario: CheckoutScenario } };

/** How an orphan must end: one donation, released (cancelled or failed), left for people, or dropped as never paid. */
export type OrphanExpectation = 'donation' | 'cancelled' | 'for-people' | 'discarded';

/** An orphan at one of the real processors' simulators, with the end the rectifier must give it. */
export interface ProcessorOrphan {
  message: Body;
  scenario: ProcessorScenario;
  /** The payments-init outcome to push first (antifraud asked for a review), when there is one. */
  paymentsInit?: Body;
  expect: OrphanExpectation;
}

/** The gateways of the real processors' orphans, as deployed stages configure them (RECTIFY_ADAPTERS). */
export const PROCESSOR_GATEWAYS = { worldline: 'ingenico', adyen: 'adyen', 'paypal-orders': 'paypal', 'paypal-nvp': 'paypal_ec' } as const;

/**
 * The orphan mix, one cycle per 17 orphans: per processor settled ones (approved, captured or
 * already complete), released ones (rejected, refused, voided, failed, abandoned), ones a person
 * must decide (antifraud `review` before an approve or capture; a recurring PayPal checkout,
 * which is never charged as a one-off), and PayPal orders never approved (discarded). The approved
 * PayPal order answers HTTP 500 to its first call and the approved NVP checkout NVP's 10001
 * Internal Error (each API's way of failing one request): the rectifier schedules a retry.
 */
const ORPHAN_KINDS = [
  'worldline-approve', 'worldline-captured', 'worldline-rejected', 'worldline-review', 'worldline-abandoned-checkout',
  'adyen-authorised', 'adyen-refused', 'adyen-unknown', 'adyen-review',
  'paypal-approved', 'paypal-completed', 'paypal-voided', 'paypal-created',
  'nvp-completed', 'nvp-approved', 'nvp-failed', 'nvp-recurring',
] as const;
export const ORPHAN_KIND_COUNT = ORPHAN_KINDS.length;
/** Currencies with two decimals, so that each simulator's amount reads the same as the row's. */
const ORPHAN_LOCALES = LOCALES.filter((locale) => ['USD', 'GBP', 'EUR'].includes(locale.currency));

/**
 * The `n`th orphan at a real processor (kind `n` modulo the mix), dated `date`: its pending
 * message, what its processor's simulator must be told, and how it must end.
 */
export function processorOrphan(n: number, trackingId: number, date: Date, random: Random): ProcessorOrphan {
  const kind = ORPHAN_KINDS[n % ORPHAN_KINDS.length]!;
  const processor = kind.startsWith('worldline') ? 'worldline' : kind.startsWith('adyen') ? 'adyen' : kind.startsWith('paypal') ? 'paypal-orders' : 'paypal-nvp';
  const paypal = processor === 'paypal-orders' || processor === 'paypal-nvp';
  const journey: DonorJourney = {
    ...donorJourney(n, random),
    locale: pick(random, ORPHAN_LOCALES),
    gateway: PROCESSOR_GATEWAYS[processor],
    paymentMethod: paypal ? 'paypal' : 'cc',
    paymentSubmethod: paypal ? '' : 'visa',
    outcome: 'complete',
  };
  journey.amount = pick(random, journey.locale.amounts);
  const message = pendingMessage(journey, trackingId, date);
  const orderId = String(message.order_id);
  const currency = String(message.currency);
  // Each simulator holds the amount as its processor reports it (money.ts).
  const worldlineAmount = minorUnits(message, 'worldline').value;
  const adyenAmount = minorUnits(message, 'adyen').value;
  const review = { ...paymentsInitMessage(journey, trackingId, date), validation_action: 'review', payments_final_status: 'pending' };
  switch (kind) {
    case 'worldline-approve':
    case 'worldline-captured':
    case 'worldline-rejected':
    case 'worldline-review': {
      const id = `${trackingId}000001`;
      message.gateway_txn_id = id;
      const state: WorldlinePaymentState =
        kind === 'worldline-captured'
          ? { status: 'CAPTURE_REQUESTED', statusCode: 800, amount: worldlineAmount, currencyCode: currency, merchantReference: orderId }
          : kind === 'worldline-rejected'
            ? { status: 'REJECTED', statusCode: 100, amount: worldlineAmount, currencyCode: currency, merchantReference: orderId }
            : { status: 'PENDING_APPROVAL', statusCode: 600, isCancellable: true, amount: worldlineAmount, currencyCode: currency, merchantReference: orderId };
      const expect = kind === 'worldline-rejected' ? 'cancelled' : kind === 'worldline-review' ? 'for-people' : 'donation';
      return { message, scenario: { processor: 'worldline', payment: { id, state } }, expect, ...(kind === 'worldline-review' ? { paymentsInit: review } : {}) };
    }
    case 'worldline-abandoned-checkout': {
      const id = `LOCAL-HC-${trackingId}`;
      message.gateway_session_id = id;
      return { message, scenario: { processor: 'worldline', hostedCheckout: { id, state: { status: 'IN_PROGRESS' } } }, expect: 'cancelled' };
    }
    case 'adyen-authorised':
    case 'adyen-refused':
    case 'adyen-review': {
      const pspReference = `LR${String(trackingId).padStart(14, '0')}`;
      const redirectResult = `LOCAL-REDIRECT-${trackingId}`;
      message.redirect_result = redirectResult;
      const state: AdyenPaymentState = { resultCode: kind === 'adyen-refused' ? 'Refused' : 'Authorised', merchantReference: orderId, amount: { currency, value: adyenAmount } };
      const expect = kind === 'adyen-refused' ? 'cancelled' : kind === 'adyen-review' ? 'for-people' : 'donation';
      return { message, scenario: { processor: 'adyen', payment: { pspReference, state, redirectResult } }, expect, ...(kind === 'adyen-review' ? { paymentsInit: review } : {}) };
    }
    case 'adyen-unknown':
      // Nothing known but our own reference: cancelled by reference at Adyen.
      return { message, scenario: { processor: 'adyen' }, expect: 'cancelled' };
    case 'paypal-approved':
    case 'paypal-completed':
    case 'paypal-voided':
    case 'paypal-created': {
      const id = `LOCALPP${trackingId}`;
      message.gateway_session_id = id;
      const amount = { currency_code: currency, value: String(message.gross) };
      const scenario: OrderScenario =
        kind === 'paypal-approved'
          ? { status: 'APPROVED', intent: 'CAPTURE', amount, failure: { httpStatus: 500, times: 1 } }
          : kind === 'paypal-completed'
            ? { status: 'COMPLETED', intent: 'CAPTURE', amount, capture: { id: `LOCALCAP${trackingId}`, status: 'COMPLETED' } }
            : { status: kind === 'paypal-voided' ? 'VOIDED' : 'CREATED', intent: 'CAPTURE', amount };
      const expect = kind === 'paypal-voided' ? 'cancelled' : kind === 'paypal-created' ? 'discarded' : 'donation';
      return { message, scenario: { processor: 'paypal-orders', order: { id, scenario } }, expect };
    }
    default: {
      const token = String(message.gateway_session_id);
      const base: CheckoutScenario = { amount: String(message.gross), currency };
      if (kind === 'nvp-recurring') message.recurring = '1';
      const scenario: CheckoutScenario =
        kind === 'nvp-completed'
          ? { ...base, checkoutStatus: 'PaymentActionCompleted', payerId: `LOCALPAYER${n}`, transactionId: `LOCALTXN${trackingId}` }
          : kind === 'nvp-approved'
            ? { ...base, checkoutStatus: 'PaymentActionNotInitiated', payerId: `LOCALPAYER${n}`, internalError: { times: 1 } }
            : kind === 'nvp-failed'
              ? { ...base, checkoutStatus: 'PaymentActionFailed' }
              : { ...base, checkoutStatus: 'PaymentActionNotInitiated', payerId: `LOCALPAYER${n}`, recurring: true };
      const expect = kind === 'nvp-failed' ? 'cancelled' : kind === 'nvp-recurring' ? 'for-people' : 'donation';
      return { message, scenario: { processor: 'paypal-nvp', checkout: { token, scenario } }, expect };
    }
  }
}

/** A pending row on a gateway nobody rectifies, older than the expiry age: expire-pending's work. */
export function stalePendingMessage(n: number, trackingId: number, now: Date, ageDays: number, random: Random): Body {
  const journey = { ...donorJourney(n, random), gateway: 'astropay', paymentMethod: 'cc', paymentSubmethod: 'mc' };
  return pendingMessage(journey, trackingId, new Date(now.getTime() - ageDays * 86_400_000));
}

/** A CentralNotice banner impression event (EventLogging envelope); most banners were shown. */
export function bannerImpressionEvent(n: number, now: Date, random: Random): Body {
  const locale = pick(random, LOCALES);
  const { banner, campaign } = campaignFor(locale, now);
  const shown = random() < 0.8;
  return {
    dt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    uuid: eventUuid(random),
    wiki: locale.wiki,
    webHost: `${locale.language}.wikipedia.org`,
    schema: 'CentralNoticeImpression',
    revision: 18880000,
    userAgent: { browser_family: 'Firefox', os_family: 'Linux', device_family: 'Other', is_bot: random() < 0.02 },
    event: {
      anonymous: true,
      project: 'wikipedia',
      db: locale.wiki,
      uselang: locale.language,
      device: 'desktop',
      country: locale.country,
      impressionEventSampleRate: 0.01,
      recordImpressionSampleRate: 0.01,
      status: shown ? 'banner_shown' : 'banner_canceled',
      statusCode: shown ? '6' : '2.11',
      campaignCategory: 'fundraising',
      campaign,
      bucket: n % 2,
      banner,
      bannerCategory: 'fundraising',
      result: shown ? 'show' : 'hide',
      ...(shown ? {} : { reason: 'seen' }),
    },
  };
}

/**
 * A landing page impression event on donatewiki. Every fifth comes from a fundraising email and
 * carries the (made-up) CRM contact and link ids, which `donatewiki_unique` counts.
 */
export function landingPageImpressionEvent(n: number, now: Date, random: Random): Body {
  const locale = pick(random, LOCALES);
  const { campaign, utmSource } = campaignFor(locale, now);
  const fromEmail = n % 5 === 0 ? { contact_id: String(9_000_000 + n), link_id: `sp${1000 + (n % 7)}` } : {};
  return {
    dt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    uuid: eventUuid(random),
    wiki: 'donatewiki',
    webHost: 'donate.wikimedia.org',
    schema: 'LandingPageImpression',
    revision: 18146236,
    userAgent: { is_bot: false },
    event: {
      landingpage: 'Special:LandingPage',
      country: locale.country,
      language: locale.language,
      utm_source: utmSource,
      utm_campaign: campaign,
      utm_medium: 'sitenotice',
      utm_key: 'vw_1920.vh_969',
      template: 'Lp-layout-default',
      appeal: 'JimmyQuote',
      appeal_template: 'Appeal-template-default',
      form_template: 'Lp-form-ENFR',
      form_countryspecific: 'Form-countryspecific-control',
      ...fromEmail,
    },
  };
}

/** 32 hex digits, as EventLogging's uuid field. */
function eventUuid(random: Random): string {
  let hex = '';
  while (hex.length < 32) hex += Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  return hex.slice(0, 32);
}

/** A pending message missing its gateway and order id: consume-pending stores it in damaged. */
export function malformedPendingMessage(journey: DonorJourney, trackingId: number, date: Date): Body {
  const message = pendingMessage(journey, trackingId, date);
  delete message.gateway;
  delete message.order_id;
  return message;
}

/** What a legacy producer cut short RPUSHes: not JSON; kept raw in damaged. */
export function truncatedLegacyBody(trackingId: number): string {
  return `{"gateway":"adyen","contribution_tracking_id":"${trackingId}","order_id":"${trackingId}.1","gross":"5.0`;
}

/**
 * Settings of the orphan rectifier and of the processor adapters. Base URLs default to the
 * processor simulator's local port (scripts/processor-simulator.ts).
 *
 * Which kind of adapter settles a gateway is `RECTIFY_ADAPTERS`; the credentials of each of the
 * gateway's accounts (the pending message's `gateway_account`) are `PROCESSOR_ACCOUNTS`, a JSON
 * object validated per kind at start-up (adapters.ts; fields per kind in docs/processors.md).
 */
import { defineConfig, env } from '../config';
import * as z from 'zod';

/** `{ "<gateway>": { "<account>": { ...the kind's settings } } }`; the settings are checked per kind. */
const accountsJson = z
  .string()
  .transform((text, ctx) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON (the text is not shown: it holds secrets)' });
      return z.NEVER;
    }
    const shape = z.record(z.string().min(1), z.record(z.string().min(1), z.record(z.string(), z.unknown())));
    const result = shape.safeParse(parsed);
    if (!result.success) {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object {"<gateway>": {"<account>": {<settings>}}}' });
      return z.NEVER;
    }
    return result.data;
  })
  .default({});

export type ProcessorAccounts = Record<string, Record<string, Record<string, unknown>>>;

export const rectifierConfig = defineConfig({
  /** Which adapter serves which gateway: `gateway=kind` pairs (kinds: adapters.ts). */
  RECTIFY_ADAPTERS: env
    .list(['ingenico=hosted-payment', 'paypal_ec=express-checkout'])
    .describe('`gateway=adapter` pairs: which processor adapter settles which gateway (kinds: hosted-payment, express-checkout, worldline, adyen, paypal-orders, paypal-nvp)'),
  /** Per gateway account: the adapter's credentials and endpoint (secret). */
  PROCESSOR_ACCOUNTS: accountsJson.describe(
    'secret: JSON `{"<gateway>": {"<gateway_account>": {settings}}}`, each account\'s credentials and endpoint for its gateway\'s adapter kind (docs/processors.md)',
  ),
  /** Gateways to rectify; every gateway of RECTIFY_ADAPTERS when unset. */
  RECTIFY_ORPHANS_GATEWAYS: env.list([]).describe('gateways to rectify; every gateway of RECTIFY_ADAPTERS when unset'),
  /** Only rows older than this are orphans: younger donors may still come back. */
  RECTIFY_ORPHANS_MIN_AGE_MINUTES: env.int(30, { min: 0 }).describe('only rows older than this are orphans'),
  /** Most orders attempted per gateway per run (an order's rows go together); 0: no limit. */
  RECTIFY_ORPHANS_LIMIT: env.limit(500).describe('orders attempted per gateway per run, each with all its rows (0: no limit)'),
  /** Orders of one gateway in flight at once: a processor answering in 50 ms otherwise caps a gateway at 20 orders/s. */
  RECTIFY_ORPHANS_CONCURRENCY: env.int(1, { min: 1, max: 32 }).describe('orders of one gateway settled at once (processor requests in flight per gateway)'),
  RECTIFY_ORPHANS_TIME_LIMIT_SECONDS: env.limit(240).describe('rectify-orphans run length, seconds (0: no limit)'),
  /** Runs kept per gateway in rectifier_runs, for the console's pending page. */
  RECTIFY_RUN_HISTORY: env.int(50, { min: 1, max: 10_000 }).describe('run summaries kept per gateway in rectifier_runs (the console shows them)'),

  HOSTED_PAYMENT_BASE_URL: env.url(['http', 'https'], 'http://127.0.0.1:8391/hosted-payment').describe('hosted payment processor API (default: the local simulator)'),
  HOSTED_PAYMENT_API_KEY: z.string().optional().describe('secret'),
  EXPRESS_CHECKOUT_BASE_URL: env.url(['http', 'https'], 'http://127.0.0.1:8391/express-checkout').describe('express checkout processor API (default: the local simulator)'),
  EXPRESS_CHECKOUT_API_KEY: z.string().optional().describe('secret'),
  PAYPAL_ORDERS_BASE_URL: env.url(['http', 'https'], 'http://127.0.0.1:8392').describe('PayPal REST API: https://api-m.paypal.com (live) or https://api-m.sandbox.paypal.com (default: the local PayPal simulator)'),
  PAYPAL_ORDERS_CLIENT_ID: z.string().optional().describe('secret'),
  PAYPAL_ORDERS_CLIENT_SECRET: z.string().optional().describe('secret'),
  PAYPAL_NVP_URL: env.url(['http', 'https'], 'http://127.0.0.1:8392/nvp').describe('PayPal NVP endpoint: https://api-3t.paypal.com/nvp (live) (default: the local PayPal simulator)'),
  PAYPAL_NVP_USER: z.string().optional().describe('secret'),
  PAYPAL_NVP_PASSWORD: z.string().optional().describe('secret'),
  PAYPAL_NVP_SIGNATURE: z.string().optional().describe('secret'),
  PAYPAL_NVP_VERSION: env.string('204.0').describe('NVP API version sent as VERSION'),
  /** Per processor request. */
  PROCESSOR_TIMEOUT_MS: env.int(10_000, { min: 100 }).describe('per processor request'),
});

export type RectifierConfig = ReturnType<typeof rectifierConfig>;

/**
 * The adapter registry: which processor adapter serves which gateway, from configuration
 * (`RECTIFY_ADAPTERS=ingenico=hosted-payment,paypal_ec=express-checkout`).
 */
import { ConfigError } from '../errors';
import type { RectifierConfig } from './config';
import { ExpressCheckoutAdapter } from './express-checkout-adapter';
import { HostedPaymentAdapter } from './hosted-payment-adapter';
import { PayPalNvpAdapter } from './paypal-nvp-adapter';
import { PayPalOrdersAdapter } from './paypal-orders-adapter';
import type { ProcessorAdapter } from './processor-adapter';

type AdapterFactory = (config: RectifierConfig) => ProcessorAdapter;

const FACTORIES: Record<string, AdapterFactory> = {
  'hosted-payment': (c) =>
    new HostedPaymentAdapter({ baseUrl: c.HOSTED_PAYMENT_BASE_URL, apiKey: c.HOSTED_PAYMENT_API_KEY, timeoutMs: c.PROCESSOR_TIMEOUT_MS }),
  'express-checkout': (c) =>
    new ExpressCheckoutAdapter({ baseUrl: c.EXPRESS_CHECKOUT_BASE_URL, apiKey: c.EXPRESS_CHECKOUT_API_KEY, timeoutMs: c.PROCESSOR_TIMEOUT_MS }),
  'paypal-orders': (c) => new PayPalOrdersAdapter({ baseUrl: c.PAYPAL_ORDERS_BASE_URL, clientId: c.PAYPAL_ORDERS_CLIENT_ID, clientSecret: c.PAYPAL_ORDERS_CLIENT_SECRET, timeoutMs: c.PROCESSOR_TIMEOUT_MS }),
  'paypal-nvp': (c) => new PayPalNvpAdapter({ url: c.PAYPAL_NVP_URL, user: c.PAYPAL_NVP_USER, password: c.PAYPAL_NVP_PASSWORD, signature: c.PAYPAL_NVP_SIGNATURE, version: c.PAYPAL_NVP_VERSION, timeoutMs: c.PROCESSOR_TIMEOUT_MS }),
};

/** Builds gateway → adapter from configuration; unknown kinds or malformed pairs are a ConfigError. */
export function adaptersFromConfig(config: RectifierConfig): Map<string, ProcessorAdapter> {
  const adapters = new Map<string, ProcessorAdapter>();
  const problems: string[] = [];
  const shared = new Map<string, ProcessorAdapter>();
  for (const pair of config.RECTIFY_ADAPTERS) {
    const [gateway, kind, extra] = pair.split('=').map((s) => s.trim());
    if (!gateway || !kind || extra !== undefined) {
      problems.push('RECTIFY_ADAPTERS: each entry must be gateway=kind');
      continue;
    }
    const factory = FACTORIES[kind];
    if (!factory) {
      problems.push(`RECTIFY_ADAPTERS: unknown adapter kind for gateway ${gateway} (known: ${Object.keys(FACTORIES).join(', ')})`);
      continue;
    }
    if (!shared.has(kind)) shared.set(kind, factory(config));
    adapters.set(gateway, shared.get(kind)!);
  }
  for (const gateway of config.RECTIFY_ORPHANS_GATEWAYS) {
    if (!adapters.has(gateway)) problems.push(`RECTIFY_ORPHANS_GATEWAYS: gateway ${gateway} has no adapter in RECTIFY_ADAPTERS`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return adapters;
}

/** The gateways a run walks: those configured, else every gateway with an adapter. */
export function gatewaysToRectify(config: RectifierConfig, adapters: Map<string, ProcessorAdapter>): string[] {
  return config.RECTIFY_ORPHANS_GATEWAYS.length > 0 ? config.RECTIFY_ORPHANS_GATEWAYS : [...adapters.keys()];
}

/**
 * The adapter registry: which processor adapter serves which gateway and gateway account, from
 * configuration. `RECTIFY_ADAPTERS` names each gateway's kind (`ingenico=worldline`);
 * `PROCESSOR_ACCOUNTS` holds each account's settings, validated by the kind's schema at start-up
 * (every problem reported at once, by gateway, account and field, never with a value). A kind
 * with `defaults` (the generic simulator kinds) needs no account.
 *
 * Adding a processor: one adapter file exporting its `AdapterKind`, one line in `KINDS`.
 */
import { ConfigError } from '../errors';
import { adyenKind } from './adyen-adapter';
import type { RectifierConfig } from './config';
import { ExpressCheckoutAdapter } from './express-checkout-adapter';
import { HostedPaymentAdapter } from './hosted-payment-adapter';
import type { AdapterKind, ProcessorAdapter, SharedAdapterOptions } from './processor-adapter';
import { PayPalNvpAdapter } from './paypal-nvp-adapter';
import { PayPalOrdersAdapter } from './paypal-orders-adapter';
import { worldlineKind } from './worldline-adapter';
import * as z from 'zod';

/** Settings of the generic (simulator) kinds: their base URL and key come from their own variables. */
const genericAccount = z.object({ baseUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }), apiKey: z.string().optional() }).strict();
type GenericAccount = z.infer<typeof genericAccount>;

/** Builds the registry's generic kinds from the variables that configure them. */
function genericKinds(config: RectifierConfig): Array<AdapterKind<GenericAccount>> {
  return [
    {
      kind: 'hosted-payment',
      account: genericAccount,
      defaults: () => ({ baseUrl: config.HOSTED_PAYMENT_BASE_URL, apiKey: config.HOSTED_PAYMENT_API_KEY }),
      create: (account, shared) => new HostedPaymentAdapter({ ...account, timeoutMs: shared.timeoutMs }),
    },
    {
      kind: 'express-checkout',
      account: genericAccount,
      defaults: () => ({ baseUrl: config.EXPRESS_CHECKOUT_BASE_URL, apiKey: config.EXPRESS_CHECKOUT_API_KEY }),
      create: (account, shared) => new ExpressCheckoutAdapter({ ...account, timeoutMs: shared.timeoutMs }),
    },
  ];
}

/** PayPal's accounts: the REST client credentials, or the NVP API user, password and signature. */
const paypalOrdersAccount = z.object({ baseUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }), clientId: z.string().min(1), clientSecret: z.string().min(1) }).strict();
const paypalNvpAccount = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
    user: z.string().min(1),
    password: z.string().min(1),
    signature: z.string().min(1),
    version: z.string().min(1),
  })
  .strict();

/**
 * The PayPal kinds. Their one-account form comes from the PAYPAL_* variables (a default account
 * whose credentials must be set when the kind is used); PROCESSOR_ACCOUNTS adds accounts.
 */
function paypalKinds(config: RectifierConfig): AdapterKind[] {
  const orders: AdapterKind<z.infer<typeof paypalOrdersAccount>> = {
    kind: 'paypal-orders',
    account: paypalOrdersAccount,
    defaults: () => ({ baseUrl: config.PAYPAL_ORDERS_BASE_URL, clientId: config.PAYPAL_ORDERS_CLIENT_ID ?? '', clientSecret: config.PAYPAL_ORDERS_CLIENT_SECRET ?? '' }),
    create: (account, shared) => new PayPalOrdersAdapter({ ...account, timeoutMs: shared.timeoutMs }),
  };
  const nvp: AdapterKind<z.infer<typeof paypalNvpAccount>> = {
    kind: 'paypal-nvp',
    account: paypalNvpAccount,
    defaults: () => ({
      url: config.PAYPAL_NVP_URL,
      user: config.PAYPAL_NVP_USER ?? '',
      password: config.PAYPAL_NVP_PASSWORD ?? '',
      signature: config.PAYPAL_NVP_SIGNATURE ?? '',
      version: config.PAYPAL_NVP_VERSION,
    }),
    create: (account, shared) => new PayPalNvpAdapter({ ...account, timeoutMs: shared.timeoutMs }),
  };
  return [orders as AdapterKind, nvp as AdapterKind];
}

/** Every kind of adapter, by name. */
export function adapterKinds(config: RectifierConfig): Map<string, AdapterKind> {
  const kinds: AdapterKind[] = [...(genericKinds(config) as AdapterKind[]), worldlineKind as AdapterKind, adyenKind as AdapterKind, ...paypalKinds(config)];
  return new Map(kinds.map((kind) => [kind.kind, kind]));
}

/** What the rectifier asks of a registry: the adapter of a gateway's account (absent: the gateway's default). */
export interface AdapterLookup {
  get(gateway: string, account?: string | null): ProcessorAdapter | undefined;
}

/** The account used for rows without `gateway_account`, and listed first. */
export const DEFAULT_ACCOUNT = 'default';

/**
 * gateway → its default adapter (as a Map, for code that knows only gateways), plus gateway and
 * account → that account's adapter. A gateway configured with accounts answers only for those: a
 * row of an unknown account gets no adapter (the rectifier sends it to `damaged`).
 */
export class AdapterRegistry extends Map<string, ProcessorAdapter> implements AdapterLookup {
  private readonly accounts = new Map<string, Map<string, ProcessorAdapter>>();

  /** Adds one account's adapter; the first of a gateway (or its `default` account) is the gateway's default. */
  add(gateway: string, account: string | null, adapter: ProcessorAdapter): void {
    if (account !== null) {
      const byAccount = this.accounts.get(gateway) ?? new Map<string, ProcessorAdapter>();
      byAccount.set(account, adapter);
      this.accounts.set(gateway, byAccount);
    }
    if (!super.has(gateway) || account === DEFAULT_ACCOUNT) super.set(gateway, adapter);
  }

  override get(gateway: string, account?: string | null): ProcessorAdapter | undefined {
    const byAccount = this.accounts.get(gateway);
    if (account === undefined || account === null || account === '' || !byAccount) return super.get(gateway);
    return byAccount.get(account);
  }

  /** The accounts configured for a gateway (empty for a gateway without accounts). */
  accountsOf(gateway: string): string[] {
    return [...(this.accounts.get(gateway)?.keys() ?? [])];
  }
}

/** Builds the registry from configuration; every bad entry or account setting is one line of a ConfigError. */
export function adaptersFromConfig(config: RectifierConfig): AdapterRegistry {
  const kinds = adapterKinds(config);
  const shared: SharedAdapterOptions = { timeoutMs: config.PROCESSOR_TIMEOUT_MS };
  const registry = new AdapterRegistry();
  const problems: string[] = [];
  const kindOfGateway = new Map<string, AdapterKind>();
  for (const pair of config.RECTIFY_ADAPTERS) {
    const [gateway, kindName, extra] = pair.split('=').map((s) => s.trim());
    if (!gateway || !kindName || extra !== undefined) {
      problems.push('RECTIFY_ADAPTERS: each entry must be gateway=kind');
      continue;
    }
    const kind = kinds.get(kindName);
    if (!kind) {
      problems.push(`RECTIFY_ADAPTERS: unknown adapter kind for gateway ${gateway} (known: ${[...kinds.keys()].join(', ')})`);
      continue;
    }
    if (kindOfGateway.has(gateway)) problems.push(`RECTIFY_ADAPTERS: gateway ${gateway} is listed twice`);
    kindOfGateway.set(gateway, kind);
  }
  for (const gateway of Object.keys(config.PROCESSOR_ACCOUNTS)) {
    if (!kindOfGateway.has(gateway) && !problems.some((p) => p.includes(`gateway ${gateway} `))) {
      problems.push(`PROCESSOR_ACCOUNTS: gateway ${gateway} has no adapter kind in RECTIFY_ADAPTERS`);
    }
  }
  // Kinds without accounts share one adapter per kind (stateless HTTP clients).
  const sharedByKind = new Map<string, ProcessorAdapter>();
  for (const [gateway, kind] of kindOfGateway) {
    const accounts = Object.entries(config.PROCESSOR_ACCOUNTS[gateway] ?? {});
    if (accounts.length === 0) {
      if (!kind.defaults) {
        problems.push(`PROCESSOR_ACCOUNTS: gateway ${gateway} (kind ${kind.kind}) needs at least one account`);
        continue;
      }
      if (!sharedByKind.has(kind.kind)) sharedByKind.set(kind.kind, kind.create(kind.defaults(), shared));
      registry.add(gateway, null, sharedByKind.get(kind.kind)!);
      continue;
    }
    // The default account first, so that it is the gateway's default adapter.
    accounts.sort(([a], [b]) => Number(b === DEFAULT_ACCOUNT) - Number(a === DEFAULT_ACCOUNT));
    for (const [account, settings] of accounts) {
      const parsed = kind.account.safeParse({ ...(kind.defaults?.() as object | undefined), ...settings });
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const field = issue.path.length > 0 ? issue.path.join('.') : '(settings)';
          problems.push(`PROCESSOR_ACCOUNTS: ${gateway}/${account} (kind ${kind.kind}): ${field}: ${issue.message}`);
        }
        continue;
      }
      registry.add(gateway, account, kind.create(parsed.data, shared));
    }
    // The walk selects rows by the gateway's payment methods: every account must settle the same.
    const methods = new Set(registry.accountsOf(gateway).map((account) => [...(registry.get(gateway, account)!.paymentMethods ?? ['*'])].sort().join(',')));
    if (methods.size > 1) problems.push(`PROCESSOR_ACCOUNTS: the accounts of gateway ${gateway} must settle the same paymentMethods`);
  }
  for (const gateway of config.RECTIFY_ORPHANS_GATEWAYS) {
    if (!kindOfGateway.has(gateway)) problems.push(`RECTIFY_ORPHANS_GATEWAYS: gateway ${gateway} has no adapter in RECTIFY_ADAPTERS`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return registry;
}

/**
 * The gateways a run walks, read from configuration alone (no credentials parsed): what the
 * console lets an operator trigger.
 */
export function rectifiedGateways(config: Pick<RectifierConfig, 'RECTIFY_ORPHANS_GATEWAYS' | 'RECTIFY_ADAPTERS'>): string[] {
  return config.RECTIFY_ORPHANS_GATEWAYS.length > 0 ? config.RECTIFY_ORPHANS_GATEWAYS : config.RECTIFY_ADAPTERS.map((pair) => pair.split('=')[0]!.trim());
}

/** The gateways a run walks: those configured, else every gateway with an adapter. */
export function gatewaysToRectify(config: RectifierConfig, adapters: ReadonlyMap<string, ProcessorAdapter>): string[] {
  return config.RECTIFY_ORPHANS_GATEWAYS.length > 0 ? config.RECTIFY_ORPHANS_GATEWAYS : [...adapters.keys()];
}

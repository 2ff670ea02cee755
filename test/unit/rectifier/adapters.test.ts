import { ConfigError } from '../../../lib/errors';
import { adaptersFromConfig, gatewaysToRectify } from '../../../lib/rectifier/adapters';
import { rectifierConfig } from '../../../lib/rectifier/config';
import { can } from '../../../lib/rectifier/processor-adapter';

describe('adaptersFromConfig', () => {
  it('should map each configured gateway to its adapter kind with its declared capabilities', () => {
    const config = rectifierConfig({ RECTIFY_ADAPTERS: 'ingenico=hosted-payment, paypal_ec=express-checkout' });

    const adapters = adaptersFromConfig(config);

    expect([...adapters].map(([gateway, adapter]) => [gateway, adapter.kind])).toEqual([
      ['ingenico', 'hosted-payment'],
      ['paypal_ec', 'express-checkout'],
    ]);
    expect(can(adapters.get('ingenico')!, 'approve')).toBe(true);
    expect(can(adapters.get('paypal_ec')!, 'cancel')).toBe(false);
    expect(gatewaysToRectify(config, adapters)).toEqual(['ingenico', 'paypal_ec']);
  });

  it('should walk only the configured gateways when RECTIFY_ORPHANS_GATEWAYS is set', () => {
    const config = rectifierConfig({ RECTIFY_ADAPTERS: 'ingenico=hosted-payment,paypal_ec=express-checkout', RECTIFY_ORPHANS_GATEWAYS: 'paypal_ec' });

    expect(gatewaysToRectify(config, adaptersFromConfig(config))).toEqual(['paypal_ec']);
  });

  it.each([
    ['ingenico=telepathy', 'unknown adapter kind'],
    ['ingenico', 'each entry must be gateway=kind'],
  ])('should reject RECTIFY_ADAPTERS=%s', (value, problem) => {
    expect(() => adaptersFromConfig(rectifierConfig({ RECTIFY_ADAPTERS: value }))).toThrow(ConfigError);
    expect(() => adaptersFromConfig(rectifierConfig({ RECTIFY_ADAPTERS: value }))).toThrow(problem);
  });

  it('should reject a gateway to rectify that has no adapter', () => {
    const config = rectifierConfig({ RECTIFY_ADAPTERS: 'ingenico=hosted-payment', RECTIFY_ORPHANS_GATEWAYS: 'adyen' });

    expect(() => adaptersFromConfig(config)).toThrow('gateway adyen has no adapter');
  });
});

describe('adaptersFromConfig with PROCESSOR_ACCOUNTS', () => {
  const worldline = { merchantId: '1234', apiKeyId: 'key-id', secretApiKey: 'top-secret-value', endpoint: 'https://127.0.0.1:9443' };
  const adyen = { apiKey: 'adyen-secret-key', merchantAccount: 'DonationsECOM' };

  it('should build one adapter per gateway account and pick it by the gateway_account', () => {
    const config = rectifierConfig({
      RECTIFY_ADAPTERS: 'ingenico=worldline,adyen=adyen',
      PROCESSOR_ACCOUNTS: JSON.stringify({ ingenico: { default: worldline, recurring: { ...worldline, merchantId: '5678' } }, adyen: { main: adyen } }),
    });

    const adapters = adaptersFromConfig(config);

    expect(adapters.get('ingenico')!.kind).toBe('worldline');
    expect(adapters.get('ingenico', 'recurring')).not.toBe(adapters.get('ingenico', 'default'));
    expect(adapters.get('ingenico', null)).toBe(adapters.get('ingenico', 'default'));
    expect(adapters.get('ingenico', 'unknown')).toBeUndefined();
    expect(adapters.get('adyen')!.kind).toBe('adyen');
    expect([...adapters.get('adyen')!.paymentMethods!]).toEqual(['cc']);
    expect(adapters.accountsOf('ingenico')).toEqual(['default', 'recurring']);
    expect(gatewaysToRectify(config, adapters)).toEqual(['ingenico', 'adyen']);
  });

  it('should report every bad account setting by gateway, account and field, without any value', () => {
    const config = rectifierConfig({
      RECTIFY_ADAPTERS: 'ingenico=worldline,adyen=adyen',
      PROCESSOR_ACCOUNTS: JSON.stringify({
        ingenico: { default: { ...worldline, merchantId: 'not-a-number', endpoint: 'ftp://example.org' } },
        adyen: { main: { apiKey: 'adyen-secret-key', environment: 'LIVE', merchantAccount: 'DonationsECOM', colour: 'blue' } },
      }),
    });

    let error: unknown;
    try {
      adaptersFromConfig(config);
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('ingenico/default (kind worldline): merchantId:'),
        expect.stringContaining('ingenico/default (kind worldline): endpoint:'),
        expect.stringContaining('adyen/main (kind adyen): (settings): Unrecognized key'),
      ]),
    );
    expect((error as Error).message).not.toMatch(/top-secret-value|adyen-secret-key|not-a-number|ftp:/);
  });

  it('should refuse an account kind without accounts and accounts of a gateway without a kind', () => {
    const config = rectifierConfig({ RECTIFY_ADAPTERS: 'ingenico=worldline', PROCESSOR_ACCOUNTS: JSON.stringify({ adyen: { main: adyen } }) });

    expect(() => adaptersFromConfig(config)).toThrow('gateway ingenico (kind worldline) needs at least one account');
    expect(() => adaptersFromConfig(config)).toThrow('gateway adyen has no adapter kind in RECTIFY_ADAPTERS');
  });

  it('should refuse PROCESSOR_ACCOUNTS that is not JSON without echoing it', () => {
    expect(() => rectifierConfig({ PROCESSOR_ACCOUNTS: '{"ingenico": secret-text' })).toThrow(/PROCESSOR_ACCOUNTS: must be JSON/);
    expect(() => rectifierConfig({ PROCESSOR_ACCOUNTS: '{"ingenico": secret-text' })).not.toThrow(/secret-text/);
  });

  it('should let a generic kind take per-account base URLs over its variables', () => {
    const config = rectifierConfig({ RECTIFY_ADAPTERS: 'ingenico=hosted-payment', PROCESSOR_ACCOUNTS: JSON.stringify({ ingenico: { eu: { baseUrl: 'http://127.0.0.1:1/x' } } }) });

    const adapters = adaptersFromConfig(config);

    expect(adapters.get('ingenico', 'eu')!.kind).toBe('hosted-payment');
    expect(adapters.get('ingenico', 'us')).toBeUndefined();
  });
});

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

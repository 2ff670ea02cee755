import { ConfigError } from '../../../lib/errors';
import { adaptersFromConfig } from '../../../lib/rectifier/adapters';
import { rectifierConfig } from '../../../lib/rectifier/config';
import { can } from '../../../lib/rectifier/processor-adapter';

describe('adaptersFromConfig with the PayPal kinds', () => {
  const credentials = {
    PAYPAL_ORDERS_CLIENT_ID: 'id',
    PAYPAL_ORDERS_CLIENT_SECRET: 'secret',
    PAYPAL_NVP_USER: 'user',
    PAYPAL_NVP_PASSWORD: 'password',
    PAYPAL_NVP_SIGNATURE: 'signature',
  };

  it('should build paypal-orders and paypal-nvp adapters that can finish but not cancel', () => {
    const config = rectifierConfig({ RECTIFY_ADAPTERS: 'paypal=paypal-orders,paypal_ec=paypal-nvp', ...credentials });

    const adapters = adaptersFromConfig(config);

    expect([...adapters].map(([gateway, adapter]) => [gateway, adapter.kind])).toEqual([
      ['paypal', 'paypal-orders'],
      ['paypal_ec', 'paypal-nvp'],
    ]);
    for (const adapter of adapters.values()) {
      expect(can(adapter, 'finish')).toBe(true);
      expect(can(adapter, 'cancel')).toBe(false);
    }
  });

  it('should refuse a PayPal kind whose credentials are not configured, naming the variables but no values', () => {
    const attempt = () => adaptersFromConfig(rectifierConfig({ RECTIFY_ADAPTERS: 'paypal_ec=paypal-nvp', PAYPAL_NVP_USER: 'user-value' }));

    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow('PAYPAL_NVP_PASSWORD: required by the paypal-nvp adapter');
    expect(attempt).not.toThrow('user-value');
  });

  it('should leave the PayPal credentials unset by default, never defaulted', () => {
    const config = rectifierConfig({});

    expect([config.PAYPAL_ORDERS_CLIENT_SECRET, config.PAYPAL_NVP_PASSWORD, config.PAYPAL_NVP_SIGNATURE]).toEqual([undefined, undefined, undefined]);
  });
});

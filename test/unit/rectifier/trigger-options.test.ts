/**
 * What consume-pending triggers the rectifier with: read from the rectifier's configuration
 * (lib/rectifier/jobs.ts), so that lib/pending never reads it.
 */
import { rectifyTriggerOptions } from '../../../lib/rectifier/jobs';

describe('rectifyTriggerOptions', () => {
  it('should name the gateways the rectifier settles and its minimum age when triggers are on', () => {
    const env = { RECTIFY_ADAPTERS: 'ingenico=hosted-payment, paypal_ec=express-checkout', RECTIFY_ORPHANS_GATEWAYS: 'paypal_ec', RECTIFY_ORPHANS_MIN_AGE_MINUTES: '45', RECTIFY_QUEUE: 'rectify-test' };

    const options = rectifyTriggerOptions(env);

    expect(options).toEqual({ queue: 'rectify-test', minAgeMinutes: 45, gateways: ['paypal_ec'] });
  });

  it('should trigger for every gateway with an adapter when no gateway list is set', () => {
    const options = rectifyTriggerOptions({ RECTIFY_ADAPTERS: 'ingenico=hosted-payment, paypal_ec=express-checkout' });

    expect(options?.gateways).toEqual(['ingenico', 'paypal_ec']);
  });

  it('should give no trigger options when RECTIFY_TRIGGERS is off', () => {
    expect(rectifyTriggerOptions({ RECTIFY_ADAPTERS: 'ingenico=hosted-payment', RECTIFY_TRIGGERS: 'false' })).toBeUndefined();
  });
});

/**
 * The real processors of the local run: the Worldline Connect, Adyen Checkout and PayPal (REST
 * Orders and Express Checkout NVP) simulators on private loopback ports, with credentials made up
 * for the run, and the rectifier's configuration for them in the variables a deployment sets
 * (`RECTIFY_ADAPTERS` with the deployed stages' kinds, `PROCESSOR_ACCOUNTS` with one `default`
 * account per gateway; docs/processors.md), so that the functions under serverless-offline settle
 * orphans through the same adapters and SDKs as on AWS.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { startAdyenSimulator, type AdyenSimulator } from '../simulators/adyen';
import { startPayPalSimulator, type PayPalSimulator } from '../simulators/paypal';
import { startWorldlineSimulator, type WorldlineSimulator } from '../simulators/worldline';
import { PROCESSOR_GATEWAYS, type ProcessorScenario } from './traffic';

export interface LocalProcessors {
  worldline: WorldlineSimulator;
  adyen: AdyenSimulator;
  paypal: PayPalSimulator;
  /** `RECTIFY_ADAPTERS` and `PROCESSOR_ACCOUNTS` pointing the rectifier at the simulators. */
  env: { RECTIFY_ADAPTERS: string; PROCESSOR_ACCOUNTS: string };
  /** Tells the orphan's processor how to answer for it. */
  apply(scenario: ProcessorScenario): void;
  /** The first call of each route named answers HTTP 500 (a processor failing one request: the rectifier retries later). */
  failOnce(processor: 'worldline' | 'adyen', route: string): void;
  close(): Promise<void>;
}

const secret = () => randomBytes(24).toString('hex');

/** Starts the three simulators (any free loopback port each) and builds the rectifier's configuration for them. */
export async function startLocalProcessors(): Promise<LocalProcessors> {
  const worldlineAccount = { merchantId: String(randomInt(1000, 9999)), apiKeyId: `local-${randomBytes(4).toString('hex')}`, secretApiKey: secret() };
  const adyenAccount = { apiKey: secret(), merchantAccount: 'LocalRunDonations' };
  const paypalCredentials = { clientId: `local-${randomBytes(4).toString('hex')}`, clientSecret: secret(), nvpUser: 'local_api1.example.org', nvpPassword: secret(), nvpSignature: secret() };
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const worldline = await startWorldlineSimulator({ credentials: [worldlineAccount] });
    started.push(worldline);
    const adyen = await startAdyenSimulator({ credentials: [adyenAccount] });
    started.push(adyen);
    const paypal = await startPayPalSimulator({ credentials: paypalCredentials });
    started.push(paypal);
    const accounts = {
      [PROCESSOR_GATEWAYS.worldline]: { default: { ...worldlineAccount, endpoint: worldline.url } },
      [PROCESSOR_GATEWAYS.adyen]: { default: { ...adyenAccount, environment: 'TEST', checkoutEndpoint: adyen.url, caCertificate: adyen.caCertificate } },
      [PROCESSOR_GATEWAYS['paypal-orders']]: { default: { baseUrl: paypal.url, clientId: paypalCredentials.clientId, clientSecret: paypalCredentials.clientSecret } },
      [PROCESSOR_GATEWAYS['paypal-nvp']]: {
        default: { url: paypal.nvpUrl, user: paypalCredentials.nvpUser, password: paypalCredentials.nvpPassword, signature: paypalCredentials.nvpSignature },
      },
    };
    return {
      worldline,
      adyen,
      paypal,
      env: {
        RECTIFY_ADAPTERS: Object.entries(PROCESSOR_GATEWAYS)
          .map(([kind, gateway]) => `${gateway}=${kind}`)
          .join(','),
        PROCESSOR_ACCOUNTS: JSON.stringify(accounts),
      },
      apply(scenario) {
        switch (scenario.processor) {
          case 'worldline':
            if (scenario.payment) worldline.setPayment(scenario.payment.id, { merchantId: worldlineAccount.merchantId, ...scenario.payment.state });
            if (scenario.hostedCheckout) worldline.setHostedCheckout(scenario.hostedCheckout.id, { merchantId: worldlineAccount.merchantId, ...scenario.hostedCheckout.state });
            return;
          case 'adyen':
            if (scenario.payment) {
              adyen.setPayment(scenario.payment.pspReference, { merchantAccount: adyenAccount.merchantAccount, ...scenario.payment.state });
              adyen.setRedirect(scenario.payment.redirectResult, scenario.payment.pspReference);
            }
            return;
          case 'paypal-orders':
            paypal.setOrder(scenario.order.id, scenario.order.scenario);
            return;
          case 'paypal-nvp':
            paypal.setCheckout(scenario.checkout.token, scenario.checkout.scenario);
            return;
        }
      },
      failOnce(processor, route) {
        (processor === 'worldline' ? worldline : adyen).setFault(route, { httpStatus: 500, times: 1 });
      },
      async close() {
        await Promise.all(started.map((simulator) => simulator.close()));
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((simulator) => simulator.close()));
    throw error;
  }
}

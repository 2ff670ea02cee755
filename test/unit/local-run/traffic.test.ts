import { parseBannerImpression, parseLandingPageImpression } from '../../../lib/impressions/impression-event';
import { MalformedMessageError } from '../../../lib/errors';
import { normalisePendingMessage } from '../../../lib/pending/normalise-message';
import { minorUnits } from '../../../lib/rectifier/money';
import { normaliseTrackingMessage } from '../../../lib/tracking/message';
import {
  bannerImpressionEvent,
  donorJourney,
  landingPageImpressionEvent,
  malformedPendingMessage,
  ORPHAN_KIND_COUNT,
  orphanPayment,
  paymentsInitMessage,
  pendingMessage,
  processorOrphan,
  stalePendingMessage,
  trackingContributionEvent,
  trackingFirstEvent,
  trackingTs,
  truncatedLegacyBody,
} from '../../../scripts/local-run/traffic';

/** A seeded generator (mulberry32), so that every draw is reproducible. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW = new Date('2026-11-28T01:02:03Z');
const DOCUMENTATION_IP = /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$/;

describe('local run traffic', () => {
  it('should draw pending messages that the pending consumer accepts, with invented personal data', () => {
    const random = seeded(1);
    for (let n = 1; n <= 200; n++) {
      const message = pendingMessage(donorJourney(n, random), 1000 + n, NOW);

      expect(() => normalisePendingMessage(message)).not.toThrow();
      expect(message).toMatchObject({ contribution_tracking_id: String(1000 + n), order_id: `${1000 + n}.1`, date: Math.floor(NOW.getTime() / 1000) });
      expect(message.email).toMatch(/@example\.org$/);
      expect(message.user_ip).toMatch(DOCUMENTATION_IP);
      for (const value of Object.values(message)) expect(value).not.toBe('');
    }
  });

  it('should give express-checkout payments a token and leave out the absent submethod', () => {
    const random = seeded(2);
    const journeys = Array.from({ length: 100 }, (_, i) => donorJourney(i + 1, random)).filter((j) => j.gateway === 'paypal_ec');

    expect(journeys.length).toBeGreaterThan(0);
    for (const journey of journeys) {
      const message = pendingMessage(journey, 7, NOW);
      expect(message.gateway_session_id).toBe('EC-LOCAL7');
      expect(message).not.toHaveProperty('payment_submethod');
    }
  });

  it('should pair each payment with a payments-init outcome for the same order', () => {
    const journey = donorJourney(3, seeded(3));

    const outcome = paymentsInitMessage(journey, 42, NOW);

    expect(outcome).toMatchObject({ order_id: '42.1', contribution_tracking_id: '42', gateway: journey.gateway, payments_final_status: journey.outcome });
    expect(['complete', 'failed']).toContain(outcome.payments_final_status);
  });

  it('should draw tracking events that the tracking message rules accept', () => {
    const random = seeded(4);
    for (let n = 1; n <= 50; n++) {
      const first = trackingFirstEvent(donorJourney(n, random), NOW);

      expect(first).not.toHaveProperty('id');
      expect(normaliseTrackingMessage({ ...first, id: String(n) }).fields).toMatchObject({ language: expect.any(String), country: expect.stringMatching(/^[A-Z]{2}$/) });
    }
    expect(normaliseTrackingMessage(trackingContributionEvent(9, 5_000_009, NOW))).toEqual({ id: 9, ts: '20261128010203', fields: { contribution_id: 5_000_009 } });
  });

  it('should format tracking timestamps as YYYYmmddHHMMSS in UTC', () => {
    expect(trackingTs(NOW)).toBe('20261128010203');
  });

  it('should draw impression events that the loader parses as valid', () => {
    const random = seeded(5);
    for (let n = 1; n <= 100; n++) {
      const banner = parseBannerImpression(JSON.stringify(bannerImpressionEvent(n, NOW, random)));
      const landing = parseLandingPageImpression(JSON.stringify(landingPageImpressionEvent(n, NOW, random)));

      expect(banner.valid).toBe(true);
      expect(landing.valid).toBe(true);
    }
  });

  it('should date orphans past the given age and say how their processor answers', () => {
    const random = seeded(6);
    const orphans = Array.from({ length: 10 }, (_, n) => orphanPayment(n, 900_000_000 + n, NOW, 120, random));

    for (const orphan of orphans) {
      expect(orphan.message.date).toBe(Math.floor(NOW.getTime() / 1000) - 120 * 60);
      expect(['ingenico', 'paypal_ec']).toContain(orphan.message.gateway);
      if (orphan.message.gateway === 'ingenico') expect(orphan.order?.orderId).toBe(orphan.message.order_id);
      else expect(orphan.checkout?.token).toBe(orphan.message.gateway_session_id);
    }
    expect(orphans.filter((o) => o.becomesDonation)).toHaveLength(6);
  });

  it('should make one orphan of each kind per cycle at the four gateways of the real processors, each with how it must end', () => {
    const random = seeded(7);
    const date = new Date(NOW.getTime() - 110_000);

    const orphans = Array.from({ length: ORPHAN_KIND_COUNT }, (_, n) => processorOrphan(n, 900_000_000 + n, date, random));

    const byGateway = (gateway: string) => orphans.filter((o) => o.message.gateway === gateway).map((o) => o.expect);
    expect(byGateway('ingenico')).toEqual(['donation', 'donation', 'cancelled', 'for-people', 'cancelled']);
    expect(byGateway('adyen')).toEqual(['donation', 'cancelled', 'cancelled', 'for-people']);
    expect(byGateway('paypal')).toEqual(['donation', 'donation', 'cancelled', 'discarded']);
    expect(byGateway('paypal_ec')).toEqual(['donation', 'donation', 'cancelled', 'for-people']);
    for (const orphan of orphans) {
      expect(orphan.message.date).toBe(Math.floor(date.getTime() / 1000));
      expect(() => normalisePendingMessage(orphan.message)).not.toThrow();
    }
  });

  it('should tell each simulator the payment of its orphan, with the amount of the pending row', () => {
    const orphans = Array.from({ length: ORPHAN_KIND_COUNT }, (_, n) => processorOrphan(n, 900_000_000 + n, NOW, seeded(8)));

    for (const { message, scenario } of orphans) {
      const { currency } = minorUnits(message, 'iso4217');
      if (scenario.processor === 'worldline' && scenario.payment) {
        expect(scenario.payment).toMatchObject({ id: message.gateway_txn_id, state: { amount: minorUnits(message, 'worldline').value, currencyCode: currency } });
      }
      if (scenario.processor === 'worldline' && scenario.hostedCheckout) expect(scenario.hostedCheckout.id).toBe(message.gateway_session_id);
      if (scenario.processor === 'adyen' && scenario.payment) {
        expect(scenario.payment).toMatchObject({ redirectResult: message.redirect_result, state: { amount: { currency, value: minorUnits(message, 'adyen').value } } });
      }
      if (scenario.processor === 'paypal-orders') {
        expect(scenario.order).toMatchObject({ id: message.gateway_session_id, scenario: { amount: { currency_code: currency, value: message.gross } } });
      }
      if (scenario.processor === 'paypal-nvp') expect(scenario.checkout).toMatchObject({ token: message.gateway_session_id, scenario: { amount: message.gross, currency } });
    }
  });

  it('should give the orphans a person must decide an antifraud review, or mark them recurring', () => {
    const orphans = Array.from({ length: ORPHAN_KIND_COUNT }, (_, n) => processorOrphan(n, 900_000_000 + n, NOW, seeded(9)));

    const forPeople = orphans.filter((o) => o.expect === 'for-people');

    expect(forPeople.map((o) => [o.message.gateway, o.paymentsInit?.validation_action ?? null, o.message.recurring ?? null])).toEqual([
      ['ingenico', 'review', null],
      ['adyen', 'review', null],
      ['paypal_ec', null, '1'],
    ]);
    for (const { message, paymentsInit } of forPeople.filter((o) => o.paymentsInit)) expect(paymentsInit).toMatchObject({ gateway: message.gateway, order_id: message.order_id });
  });

  it('should date stale rows past the expiry age on a gateway nobody rectifies', () => {
    const message = stalePendingMessage(1, 900_000_100, NOW, 40, seeded(7));

    expect(message.gateway).toBe('astropay');
    expect(message.date).toBe(Math.floor(NOW.getTime() / 1000) - 40 * 86_400);
  });

  it('should make bad messages that the consumers cannot accept', () => {
    const malformed = malformedPendingMessage(donorJourney(1, seeded(8)), 5, NOW);

    expect(() => normalisePendingMessage(malformed)).toThrow(MalformedMessageError);
    expect(() => JSON.parse(truncatedLegacyBody(5))).toThrow(SyntaxError);
  });

  it('should draw the same traffic from the same seed', () => {
    expect(pendingMessage(donorJourney(1, seeded(9)), 1, NOW)).toEqual(pendingMessage(donorJourney(1, seeded(9)), 1, NOW));
  });
});

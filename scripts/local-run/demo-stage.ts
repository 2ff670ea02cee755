/**
 * The consumer runner's own stage of the local run: donation and payments-init sample traffic
 * on demo queues, consumed by a small demonstration handler, with one message for each outcome
 * of ARCHITECTURE §4:
 *
 * - donations that succeed, one duplicate (dropped on purpose), one missing its required
 *   fields (damaged) and one undecodable body from a legacy RPUSH (damaged, raw text kept);
 * - a payments-init outcome that arrives before its donation (RetryableError: damaged with a
 *   retry date; requeue-damaged brings it back; the second pass succeeds);
 * - a poison message that crashes its consumer on every delivery (dead-lettered, then moved to
 *   damaged by collect-dead-letters).
 *
 * The handlers are demonstrations of the runner, not a capability: real ones plug in as stages.
 */
import Redis from 'ioredis';
import { runConsumer } from '../../lib/consumer/run-consumer';
import { DropMessageError, MalformedMessageError, RetryableError } from '../../lib/errors';
import type { MessageBody } from '../../lib/queue/types';
import { donationMessage, legacyDonationMessage, paymentsInitMessage } from '../sample-traffic';
import type { PipelineContext, PipelineStage } from './pipeline';

const DONATIONS = 'demo-donations';
const PAYMENTS_INIT = 'demo-payments-init';
const POISON = 'demo-poison';

/** Creates the stage; its handlers' memory lives as long as the run. */
export function demoStage(): PipelineStage {
  const donationsSeen = new Set<string>();
  const ordersSeen = new Set<string>();

  const handleDonation = async (body: MessageBody) => {
    const orderId = body.order_id;
    const trackingId = body.contribution_tracking_id;
    if (typeof body.gateway !== 'string' || typeof orderId !== 'string' || (body.gross === undefined && body.amount === undefined)) {
      throw new MalformedMessageError('donation message lacks gateway, order_id or gross');
    }
    if (ordersSeen.has(`${body.gateway}:${orderId}`)) throw new DropMessageError('duplicate order');
    ordersSeen.add(`${body.gateway}:${orderId}`);
    if (typeof trackingId === 'string') donationsSeen.add(trackingId);
  };

  const handlePaymentsInit = async (body: MessageBody) => {
    if (!donationsSeen.has(String(body.contribution_tracking_id))) {
      throw new RetryableError('the donation of this payment attempt has not been consumed yet');
    }
  };

  const consume = async (context: PipelineContext, queue: string, handler: (body: MessageBody) => Promise<void>) => {
    const counts = await runConsumer({
      backend: context.backend,
      queue,
      handler,
      timeLimitSeconds: 30,
      damagedStore: context.damagedStore,
      retryPolicy: context.retryPolicy,
      logger: context.logger,
    });
    context.tally.consumed(queue, counts);
  };

  return {
    name: 'consumer runner demo',
    queues: [DONATIONS, PAYMENTS_INIT, POISON],

    async produce(context) {
      const now = Math.floor(Date.now() / 1000);
      const donations = [
        donationMessage({ date: now }),
        donationMessage({ date: now, contribution_tracking_id: '48213378', order_id: '48213378.1', gross: '10.00' }),
        donationMessage({ date: now, contribution_tracking_id: '48213379', order_id: '48213379.1', gross: '3.00' }),
        legacyDonationMessage(),
        donationMessage({ date: now }), // the first one again: a duplicate
        { ...donationMessage({ date: now, contribution_tracking_id: '48213380' }), gateway: undefined, order_id: undefined },
      ].map((m) => JSON.parse(JSON.stringify(m)) as MessageBody);
      // Payments-init first: its donation is not consumed yet when the first pass sees it.
      await context.backend.push(PAYMENTS_INIT, paymentsInitMessage({ date: now, contribution_tracking_id: '48213377', order_id: '48213377.1' }), { sourceType: 'payments' });
      context.tally.pushed(PAYMENTS_INIT, 1);
      await context.backend.pushBatch(DONATIONS, donations, { sourceType: 'payments' });
      // A legacy producer RPUSHes onto the plain list named after the queue; this body is cut short.
      const legacy = new Redis(context.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
      try {
        await legacy.rpush(DONATIONS, '{"gateway":"adyen","order_id":"48213381.1","gross":"5.0');
      } finally {
        legacy.disconnect();
      }
      context.tally.pushed(DONATIONS, donations.length + 1);
      await context.backend.push(POISON, donationMessage({ date: now, contribution_tracking_id: '48213382', order_id: '48213382.1' }));
      context.tally.pushed(POISON, 1);
    },

    async consume(context) {
      await consume(context, PAYMENTS_INIT, handlePaymentsInit);
      await consume(context, DONATIONS, handleDonation);
      // A consumer that crashes on this message: each delivery fails without an ack, until the
      // queue dead-letters it past maxReceiveCount (bounded here, whatever that setting is).
      for (let attempt = 0; attempt < 100; attempt++) {
        const [delivery] = await context.backend.lease(POISON);
        if (!delivery) break;
        await context.backend.release(POISON, delivery.receipt);
      }
    },

    check(_context, summary) {
      const problems: string[] = [];
      const byQueue = new Map(summary.queues.map((q) => [q.queue, q]));
      const expect = (queue: string, what: string, actual: number, expected: number) => {
        if (actual !== expected) problems.push(`${queue}: expected ${what} ${expected}, got ${actual}`);
      };
      const donations = byQueue.get(DONATIONS)!;
      expect(DONATIONS, 'succeeded', donations.consumed.succeeded, 4);
      expect(DONATIONS, 'dropped', donations.consumed.dropped, 1);
      expect(DONATIONS, 'rows in damaged', donations.inDamaged, 2);
      const payments = byQueue.get(PAYMENTS_INIT)!;
      expect(PAYMENTS_INIT, 'retries scheduled', payments.consumed.retryScheduled, 1);
      expect(PAYMENTS_INIT, 'succeeded after requeue', payments.consumed.succeeded, 1);
      expect(PAYMENTS_INIT, 'rows in damaged', payments.inDamaged, 0);
      expect(POISON, 'rows in damaged', byQueue.get(POISON)!.inDamaged, 1);
      for (const q of summary.queues) expect(q.queue, 'messages left in the queue', q.now.ready + q.now.inFlight + q.now.delayed + q.now.dead, 0);
      return problems;
    },
  };
}

/**
 * What each state-changing queue call does when Redis ran it but its reply was lost with the
 * connection (a fault proxy between the backend and a private redis-server drops the reply and
 * closes the connection; ioredis then re-sends the command on a new connection, as
 * test/integration/support/fault-proxy.test.ts observes). Each call answers the re-sent command
 * from its reply cache (lib/queue/redis/call-ledger.ts) instead of running twice:
 * - push: stored once;
 * - lease: the same deliveries, no orphaned leases, no extra receive count;
 * - ack: success, not StaleReceiptError;
 * - release: the message is back once.
 */
import Redis from 'ioredis';
import { queueKeys } from '../../../lib/queue/redis/keys';
import { RedisQueueBackend } from '../../../lib/queue/redis/redis-queue-backend';
import { commandIs, startFaultProxy, type FaultProxy } from '../../../scripts/stack/fault-proxy';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';

describe('RedisQueueBackend when a reply is lost after Redis ran the call', () => {
  const queue = 'reply-loss';
  let server: PrivateRedisServer;
  let proxy: FaultProxy;
  let admin: Redis;
  let direct: RedisQueueBackend;
  let backend: RedisQueueBackend;

  beforeAll(async () => {
    server = await startRedisServer();
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: Number(new URL(server.url).port) } });
  });

  beforeEach(async () => {
    admin = new Redis(server.url);
    await admin.flushall();
    direct = new RedisQueueBackend({ redis: admin });
    // The library's own connection settings, through the proxy.
    backend = new RedisQueueBackend({ url: proxy.url, defaults: { visibilityTimeoutSeconds: 30 } });
  });

  afterEach(async () => {
    await backend.close();
    await direct.close();
    admin.disconnect();
  });

  afterAll(async () => {
    await proxy.close();
    await server.stop();
  });

  /** Drops the reply of the next script call through the proxy. */
  function loseNextScriptReply() {
    return proxy.dropReplyAfter(commandIs('evalsha', 'eval'));
  }

  /**
   * Runs every script once on another queue, so that Redis has them cached: otherwise the reply
   * dropped would be a NOSCRIPT error of a call that never ran, not the reply of one that did.
   */
  async function loadScripts(): Promise<void> {
    await backend.push('warm-up', { n: 'w' });
    await backend.popAtomic('warm-up', async () => undefined);
    await backend.push('warm-up', { n: 'w' });
    const [leased] = await backend.lease('warm-up');
    await backend.release('warm-up', leased!.receipt);
    const [again] = await backend.lease('warm-up');
    await backend.ack('warm-up', again!.receipt);
    await backend.stats('warm-up');
  }

  it('should store a push once when its reply is lost and the call is re-sent', async () => {
    await loadScripts();
    const rule = loseNextScriptReply();

    await backend.push(queue, { order_id: '1' });
    await rule.done;

    expect(rule.dropped).toBe(1);
    expect(await admin.llen(queueKeys(queue).ready)).toBe(1);
    expect((await direct.stats(queue)).ready).toBe(1);
  });

  it('should hand out the same deliveries when a lease reply is lost, leaving no lease orphaned', async () => {
    await direct.pushBatch(queue, [{ n: '1' }, { n: '2' }, { n: '3' }]);
    await loadScripts();
    const rule = loseNextScriptReply();

    const leased = await backend.lease(queue, { max: 2 });
    await rule.done;

    expect(leased.map((d) => JSON.parse(d.body).n)).toEqual(['1', '2']);
    expect(leased.map((d) => d.receiveCount)).toEqual([1, 1]);
    expect(await direct.stats(queue)).toMatchObject({ ready: 1, inFlight: 2 });
    expect(await backend.ackBatch(queue, leased.map((d) => d.receipt))).toEqual([]);
  });

  it('should report an ack that took effect as a success when its reply is lost', async () => {
    await direct.push(queue, { n: '1' });
    await loadScripts();
    const [delivery] = await backend.lease(queue);
    const rule = loseNextScriptReply();

    await expect(backend.ack(queue, delivery!.receipt)).resolves.toBeUndefined();
    await rule.done;

    expect(await direct.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, delayed: 0 });
  });

  it('should put a released message back once when the release reply is lost', async () => {
    await direct.pushBatch(queue, [{ n: '1' }, { n: '2' }]);
    await loadScripts();
    const [delivery] = await backend.lease(queue);
    const rule = loseNextScriptReply();

    await expect(backend.release(queue, delivery!.receipt)).resolves.toBeUndefined();
    await rule.done;
    const again = await direct.lease(queue, { max: 10 });

    expect(again.map((d) => JSON.parse(d.body).n)).toEqual(['1', '2']);
    expect(again[0]!.receiveCount).toBe(2);
  });

  it('should run popAtomic\'s callback once and ack once when the ack reply is lost', async () => {
    await direct.push(queue, { n: '1' });
    let calls = 0;
    await loadScripts();
    // the lease goes through; the ack (with its prefetch) loses its reply
    const rule = proxy.dropReplyAfter(commandIs('evalsha', 'eval'), { skip: 1 });

    const result = await backend.popAtomic(queue, async () => {
      calls += 1;
    });
    await rule.done;

    expect(result.status).toBe('done');
    expect(calls).toBe(1);
    expect(await direct.stats(queue)).toMatchObject({ ready: 0, inFlight: 0 });
  });
});

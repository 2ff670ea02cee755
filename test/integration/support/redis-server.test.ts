/**
 * The private Redis servers of scripts/stack/redis-server.ts that other tests build on: a replica
 * started with startRedisReplica is in sync when it resolves, so that a test can rely on WAIT
 * counting it, and everything it started is gone after stop().
 */
import { existsSync } from 'node:fs';
import Redis from 'ioredis';
import { startRedisReplica, startRedisServer, type PrivateRedisReplica, type PrivateRedisServer } from '../../../scripts/stack/redis-server';

describe('startRedisReplica', () => {
  let primary: PrivateRedisServer;
  let replica: PrivateRedisReplica;
  let onPrimary: Redis;
  let onReplica: Redis;

  beforeAll(async () => {
    primary = await startRedisServer();
    replica = await startRedisReplica(primary);
    onPrimary = new Redis(primary.url);
    onReplica = new Redis(replica.url);
  });

  afterAll(async () => {
    onPrimary?.disconnect();
    onReplica?.disconnect();
    await replica?.stop();
    await primary?.stop();
  });

  it('should resolve with a replica that WAIT counts and that sees a key set on the primary', async () => {
    await onPrimary.set('replicated', 'yes');
    const acknowledged = await onPrimary.wait(1, 5000);

    expect(acknowledged).toBe(1);
    expect(await onReplica.get('replicated')).toBe('yes');
    expect(await onReplica.set('direct', 'no').catch((error: Error) => error.message)).toMatch(/^READONLY/);
  });

  it('should be in sync again after a kill -9 and restart', async () => {
    await replica.restart({ kill: true });
    await replica.waitInSync();

    await onPrimary.set('after-restart', '1');

    expect(await onPrimary.wait(1, 5000)).toBe(1);
    expect(await onReplica.get('after-restart')).toBe('1');
  });

  it('should remove the replica\'s directory on stop', async () => {
    const other = await startRedisReplica(primary);

    await other.stop();

    expect(existsSync(other.dir)).toBe(false);
    expect(existsSync(replica.dir)).toBe(true);
  });
});

/**
 * Redis for the local stack: the configured REDIS_URL when it answers PING; else a private
 * `redis-server` on a free loopback port without persistence; else what to install.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { findExecutable, freePort, startDaemon, stopDaemon, waitUntil } from './process';
import { ServiceMissingError, type StackService } from './types';

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** True when a Redis server answers PING at `url` within a second. */
export async function redisReachable(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export const redisService: StackService = {
  name: 'redis',
  async start({ workDir, env, log }) {
    const configured = env.REDIS_URL || DEFAULT_URL;
    if (await redisReachable(configured)) {
      return { name: 'redis', env: { REDIS_URL: configured }, private: false, stop: async () => undefined };
    }
    const binary = findExecutable('redis-server');
    if (!binary) throw new ServiceMissingError('redis', 'apt-get install redis-server');
    const port = await freePort();
    const dir = path.join(workDir, 'redis');
    mkdirSync(dir, { recursive: true });
    log(`redis: ${configured} is not reachable; starting a private redis-server on 127.0.0.1:${port}`);
    const child = startDaemon(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no']);
    const url = `redis://127.0.0.1:${port}`;
    try {
      await waitUntil('redis-server', () => redisReachable(url), child);
    } catch (error) {
      await stopDaemon(child);
      throw error;
    }
    return { name: 'redis', env: { REDIS_URL: url }, private: true, stop: () => stopDaemon(child) };
  },
};

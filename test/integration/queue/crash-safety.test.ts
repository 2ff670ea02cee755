/**
 * Consumers die mid-flight (SIGKILL: no cleanup, no release) while 100,000 messages flow. The
 * queue must still deliver every message at least once, and the extra deliveries must stay within
 * what the killed consumers held on lease when they died.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import Redis from 'ioredis';
import type { QueueBackend } from '../../../lib/queue/types';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { redisQueueOn } from '../../support/redis-queue';

const MESSAGES = 100_000;
/** Messages per lease: also the most one consumer holds on lease, hence the duplicates one kill may cause. */
const BATCH = 100;
const VISIBILITY_SECONDS = 2;
const QUEUE = 'crash-safety';
const PROCESSED = 'crash-safety:processed';
/** Time each consumer spends on a batch between recording it and acking it. */
const WORK_MS = 10;
const CHILD_SOURCE = join(__dirname, '../../support/queue-consumer-child.ts');
const NODE_MODULES = resolve(__dirname, '../../../node_modules');

interface Consumer {
  child: ChildProcess;
  exited: Promise<void>;
  output: string[];
}

describe('Redis queue under consumer crashes', () => {
  let server: PrivateRedisServer;
  let client: Redis;
  let backend: QueueBackend;
  let buildDir: string;
  let childScript: string;
  const consumers = new Set<Consumer>();

  beforeAll(async () => {
    // Bundled once: a consumer restarted after each kill then starts in about half the time of tsx.
    buildDir = mkdtempSync(join(tmpdir(), 'queue-consumer-'));
    childScript = join(buildDir, 'consumer.js');
    buildSync({ entryPoints: [CHILD_SOURCE], outfile: childScript, bundle: true, platform: 'node', packages: 'external', logLevel: 'error' });
    server = await startRedisServer();
    client = new Redis(server.url);
    backend = redisQueueOn(client, { visibilityTimeoutSeconds: VISIBILITY_SECONDS, maxReceiveCount: 1000 });
  });

  afterAll(async () => {
    for (const consumer of consumers) consumer.child.kill('SIGKILL');
    await Promise.all([...consumers].map((c) => c.exited));
    await backend?.close();
    client?.disconnect();
    await server?.stop();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  });

  function startConsumer(mode: 'lease' | 'batch'): Consumer {
    const child = spawn(process.execPath, [childScript], {
      env: {
        ...process.env,
        NODE_PATH: NODE_MODULES,
        WORK_MS: String(WORK_MS),
        REDIS_URL: server.url,
        QUEUE,
        PROCESSED_KEY: PROCESSED,
        BATCH: String(BATCH),
        VISIBILITY_SECONDS: String(VISIBILITY_SECONDS),
        MODE: mode,
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const keep = (chunk: Buffer) => output.push(chunk.toString().slice(0, 2000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const consumer: Consumer = {
      child,
      output,
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
    };
    consumers.add(consumer);
    void consumer.exited.then(() => consumers.delete(consumer));
    return consumer;
  }

  it('should process every message at least once, with duplicates bounded by the leases the killed consumers held', async () => {
    // arrange: 100k messages queued, three consumers (both consumer styles: lease + piggybacked acks, popAtomicBatch)
    for (let offset = 0; offset < MESSAGES; offset += 1000) {
      await backend.pushBatch(QUEUE, Array.from({ length: 1000 }, (_, i) => ({ n: offset + i })));
    }
    const modes: ('lease' | 'batch')[] = ['lease', 'batch', 'lease'];
    const running = modes.map((mode) => ({ mode, consumer: startConsumer(mode) }));

    // act: SIGKILL a random consumer every 300–900 ms and start a fresh one, while messages are ready
    let kills = 0;
    const deadline = Date.now() + 90_000;
    for (;;) {
      await sleep(300 + Math.random() * 600);
      const stats = await backend.stats(QUEUE);
      if (stats.ready === 0) break;
      const slot = running[Math.floor(Math.random() * running.length)]!;
      if (slot.consumer.child.exitCode !== null) throw new Error(`a consumer exited on its own: ${slot.consumer.output.join('')}`);
      slot.consumer.child.kill('SIGKILL');
      await slot.consumer.exited;
      kills += 1;
      slot.consumer = startConsumer(slot.mode);
      if (Date.now() > deadline) throw new Error('queue not drained in time');
    }
    // the killed consumers' leases run out after VISIBILITY_SECONDS and are delivered again
    for (;;) {
      const stats = await backend.stats(QUEUE);
      if (stats.ready + stats.inFlight + stats.delayed === 0) break;
      if (Date.now() > deadline) throw new Error(`queue not drained in time: ${JSON.stringify(stats)}`);
      await sleep(200);
    }
    for (const { consumer } of running) {
      expect(consumer.child.exitCode).toBeNull(); // still consuming: none crashed by itself
      consumer.child.kill('SIGKILL');
      await consumer.exited;
    }

    // assert
    const processed = await readAll(client, PROCESSED);
    const distinct = new Set(processed);
    const missing: number[] = [];
    for (let n = 0; n < MESSAGES && missing.length < 10; n += 1) if (!distinct.has(String(n))) missing.push(n);
    expect(missing).toEqual([]);
    expect(distinct.size).toBe(MESSAGES);
    expect(kills).toBeGreaterThanOrEqual(3);
    const duplicates = processed.length - MESSAGES;
    expect(duplicates).toBeLessThanOrEqual(BATCH * kills);
    expect(await backend.stats(QUEUE)).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
  }, 120_000);
});

async function readAll(client: Redis, key: string): Promise<string[]> {
  const all: string[] = [];
  const length = await client.llen(key);
  for (let start = 0; start < length; start += 10_000) all.push(...(await client.lrange(key, start, start + 9_999)));
  return all;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

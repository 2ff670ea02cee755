/**
 * The acceptance checker of partitioned queues (issue: partitions): 8 consumer processes share a
 * partitioned queue of 200,000 messages over 10,000 keys while consumers are killed with SIGKILL
 * and started at random. Each process records every message it processes (key, n, consumer) in
 * Redis before acking it, as an idempotent consumer does its side effect. Afterwards, for every
 * key, the record must run 0, 1, 2, … 19 in push order, where a message may repeat only right
 * after itself (the one in flight when its consumer was killed, processed again by the next
 * owner), never a later message before an earlier one, and none missing. A private redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Redis from 'ioredis';
import { PartitionedQueue, partitionedQueueDrained, type PartitionSpec } from '../../../lib/queue/partitions';
import type { QueueBackend } from '../../../lib/queue/types';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { redisQueueOn } from '../../support/redis-queue';
import { waitUntil } from '../../support/partitions';

const CONSUMERS = 8;
const MESSAGES = 200_000;
const KEYS = 10_000;
const PER_KEY = MESSAGES / KEYS;
const LEASE_MS = 1000;
const CHILD_SOURCE = join(__dirname, '..', '..', 'support', 'partitioned-consumer-child.ts');

jest.setTimeout(240_000);

describe('partitioned queue acceptance: 8 processes, 200,000 messages over 10,000 keys, random SIGKILLs', () => {
  let server: PrivateRedisServer;
  let client: Redis;
  let backend: QueueBackend;
  const children = new Map<string, ChildProcess>();

  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
    backend = redisQueueOn(client, { maxReceiveCount: 1000 });
  });

  afterAll(async () => {
    for (const child of children.values()) child.kill('SIGKILL');
    await backend?.close();
    client?.disconnect();
    await server?.stop();
  });

  function start(spec: PartitionSpec, consumerId: string, processed: string): Promise<void> {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD_SOURCE], {
      env: {
        ...process.env,
        REDIS_URL: server.url,
        QUEUE: spec.queue,
        PARTITIONS: String(spec.partitions),
        PROCESSED_KEY: processed,
        CONSUMER_ID: consumerId,
        LEASE_MS: String(LEASE_MS),
        WORK_MS: '0',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(consumerId, child);
    child.on('exit', () => children.delete(consumerId));
    return new Promise((resolve, reject) => {
      const output: string[] = [];
      child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`consumer ${consumerId} exited with ${code}: ${output.join('').slice(0, 2000)}`));
      });
    });
  }

  it('should process every key in push order, repeating only the message in flight at a kill, losing none', async () => {
    // arrange
    const spec: PartitionSpec = { queue: 'acceptance', partitions: 32, partitionKey: 'key' };
    const processed = 'acceptance:processed';
    const queue = new PartitionedQueue(backend, spec);
    const messages = Array.from({ length: MESSAGES }, (_, i) => ({ key: `key-${i % KEYS}`, n: Math.floor(i / KEYS) }));
    for (let i = 0; i < MESSAGES; i += 10_000) await queue.pushBatch(messages.slice(i, i + 10_000));
    let started = 0;
    const nextId = () => `c${String((started += 1)).padStart(3, '0')}`;
    await Promise.all(Array.from({ length: CONSUMERS }, () => start(spec, nextId(), processed)));

    // act: every 1.5–3.5 s a random consumer is SIGKILLed and a new one started, until the queue drained
    let kills = 0;
    const startedAt = Date.now();
    while (!(await partitionedQueueDrained(backend, spec))) {
      if (Date.now() - startedAt > 200_000) throw new Error(`not drained after 200 s (${await client.llen(processed)} processed)`);
      await new Promise((resolve) => setTimeout(resolve, 1500 + Math.random() * 2000));
      const live = [...children.keys()];
      const victim = live[Math.floor(Math.random() * live.length)];
      if (victim && (await client.llen(processed)) < MESSAGES) {
        children.get(victim)!.kill('SIGKILL');
        kills += 1;
        await start(spec, nextId(), processed);
      }
    }
    await waitUntil(async () => (await client.llen(processed)) >= MESSAGES, 10_000);
    const seconds = (Date.now() - startedAt) / 1000;

    // assert
    const record: string[] = [];
    const total = await client.llen(processed);
    for (let from = 0; from < total; from += 50_000) record.push(...(await client.lrange(processed, from, from + 49_999)));
    const last = new Map<string, number>();
    const violations: string[] = [];
    let repeats = 0;
    for (const entry of record) {
      const [key, text] = entry.split(':') as [string, string];
      const n = Number(text);
      const before = last.get(key) ?? -1;
      if (n === before) repeats += 1;
      else if (n === before + 1) last.set(key, n);
      else violations.push(`${key}: ${n} after ${before}`);
    }
    const incomplete = [...Array(KEYS).keys()].filter((k) => last.get(`key-${k}`) !== PER_KEY - 1);
    console.log(`acceptance: ${MESSAGES} messages, ${KEYS} keys, ${kills} SIGKILLs, ${started} consumer processes, ${repeats} repeats, drained in ${seconds.toFixed(1)} s`);
    expect(violations.slice(0, 10)).toEqual([]);
    expect(incomplete.slice(0, 10)).toEqual([]);
    expect(kills).toBeGreaterThan(0);
    expect(repeats).toBeLessThanOrEqual(kills * spec.partitions);
  });
});

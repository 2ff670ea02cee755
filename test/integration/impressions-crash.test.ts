/**
 * The effectively-once guarantee under a real crash: two loader processes share a consumer
 * group on a 4-partition topic of the Kafka mock cluster; one is SIGKILLed mid-run and
 * restarted. The table must equal the aggregate the generator computed independently, cell
 * by cell, with no cell off by even one event.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { readStoredOffsets } from '../../lib/impressions/offset-store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { expectedCells, expectedTallies, generateBannerEvents } from '../../scripts/traffic/impression-events';
import { readBannerCells } from '../../scripts/traffic/impression-tables';
import { waitFor } from '../support/impressions';
import { produce, startKafkaMock, quietKafkaClient, watermarks, type KafkaMock } from '../../scripts/stack/kafka';

const LOADER = path.join(__dirname, '../support/impressions-loader-process.ts');
const EVENTS = 200_000;
const PARTITIONS = 4;
const FACTOR = 100;

describe('impressions loader under a crash', () => {
  let mock: KafkaMock;
  let database: TestDatabase;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    [mock, database] = await Promise.all([startKafkaMock(), createTestDatabase()]);
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all([mock?.stop(), database?.drop()]);
  });

  const outputs = new Map<ChildProcess, () => string>();

  function startLoader(env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', LOADER], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    outputs.set(child, () => output);
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
    child.stderr!.on('data', keep);
    child.stdout!.on('data', keep);
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (code !== 0 && signal === null) process.stderr.write(`loader exited with ${code}: ${output}\n`);
    });
    children.add(child);
    return child;
  }

  /** The run summary a loader prints when it stops. */
  function summaryOf(child: ChildProcess): { received: number; applied: number } {
    const line = outputs.get(child)!().split('\n').find((l) => l.startsWith('{"batches"'));
    return line ? JSON.parse(line) : { received: 0, applied: 0 };
  }

  async function stopLoader(child: ChildProcess): Promise<number | null> {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }

  it('should count every event exactly once when a loader is SIGKILLed mid-run and restarted', async () => {
    // Arrange
    const topic = `centralnotice-${randomBytes(4).toString('hex')}`;
    const group = `loader-${randomBytes(4).toString('hex')}`;
    const events = generateBannerEvents({ count: EVENTS, partitions: PARTITIONS, seed: 7 });
    const env = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: mock.brokers.join(','),
      IMPRESSIONS_CONSUMER_GROUP: group,
      IMPRESSIONS_BANNER_TOPICS: `${topic}:${FACTOR}`,
      IMPRESSIONS_LANDING_PAGE_TOPICS: `${topic}-landingpage`,
      IMPRESSIONS_SESSION_TIMEOUT_MS: '6000',
      // Kafka learns positions rarely, so the survivors reread what the killed loader applied.
      IMPRESSIONS_KAFKA_COMMIT_INTERVAL_MS: '10000',
      LOG_LEVEL: 'error',
    };
    const kafka = quietKafkaClient(mock.brokers);
    const applied = async () => (await readStoredOffsets(database.db, group)).reduce((sum, row) => sum + (row.nextOffset ?? 0), 0);

    // Act: two loaders, events arriving while they run, one killed a third of the way in.
    const first = startLoader(env);
    const second = startLoader(env);
    const producing = produce(kafka, topic, events.map((event) => ({ partition: event.partition, value: JSON.stringify(event.body) })));
    await waitFor(async () => (await applied()) >= EVENTS / 3, 90_000, 'a third of the events to be applied');
    first.kill('SIGKILL');
    const appliedAtKill = await applied();
    const restarted = startLoader(env);
    await producing;
    await waitFor(async () => (await applied()) === EVENTS, 100_000, 'every event to be applied');
    const exitCodes = await Promise.all([stopLoader(second), stopLoader(restarted)]);
    const survivors = [summaryOf(second), summaryOf(restarted)];

    // Assert
    expect(appliedAtKill).toBeLessThan(EVENTS);
    expect(exitCodes).toEqual([0, 0]);
    // The survivors were handed events that had been applied already, and dropped them.
    expect(survivors.reduce((sum, s) => sum + s.received - s.applied, 0)).toBeGreaterThan(0);
    expect((await watermarks(kafka, topic)).map((w) => w.low)).toEqual([0, 0, 0, 0]);
    const actual = await readBannerCells(database.pool);
    const expected = expectedCells(events, FACTOR);
    const wrong = [...new Set([...expected.keys(), ...actual.keys()])].filter((key) => expected.get(key) !== actual.get(key));
    expect(wrong.map((key) => ({ key, expected: expected.get(key), actual: actual.get(key) }))).toEqual([]);
    expect(actual.size).toBe(expected.size);
    const stored = await readStoredOffsets(database.db, group);
    const tallies = expectedTallies(events);
    expect(stored.map((row) => row.nextOffset)).toEqual([EVENTS / 4, EVENTS / 4, EVENTS / 4, EVENTS / 4]);
    expect({
      counted: stored.reduce((sum, row) => sum + row.countedEvents, 0),
      ignored: stored.reduce((sum, row) => sum + row.ignoredEvents, 0),
      invalid: stored.reduce((sum, row) => sum + row.invalidEvents, 0),
    }).toEqual(tallies);
  }, 180_000);
});

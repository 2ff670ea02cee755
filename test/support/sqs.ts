/**
 * An SQS emulator of its own for an integration test file: started on a free loopback port in
 * beforeAll, stopped in afterAll. Backends made here create their queues on first use, under a
 * prefix unique to the run, so that nothing is shared with other tests.
 */
import { randomBytes } from 'node:crypto';
import { SqsQueueBackend, type SqsQueueBackendOptions } from '../../lib/queue/sqs/sqs-backend';
import { createSqsClient } from '../../lib/queue/sqs/client';
import { startSqsEmulator, type SqsEmulator } from '../../scripts/stack/sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '../../lib/log';

export interface TestSqs extends SqsEmulator {
  /** Unique per started emulator; every backend below uses it. */
  queuePrefix: string;
  /** A backend against the emulator; close it after use. */
  createBackend(options?: Omit<SqsQueueBackendOptions, 'settings'>): SqsQueueBackend;
  /** A raw SDK client, for driving SQS directly (the caller destroys it). */
  createClient(): SQSClient;
}

/** Starts the emulator with the project's queues (prefix `<unique>-`) created. */
export async function startTestSqs(): Promise<TestSqs> {
  const queuePrefix = `t${randomBytes(3).toString('hex')}-`;
  const emulator = await startSqsEmulator({ queuePrefix });
  const settings = { endpoint: emulator.endpoint, region: 'us-east-1', queuePrefix, createQueues: true, waitPollMs: 50 };
  return {
    ...emulator,
    queuePrefix,
    createBackend: (options = {}) =>
      new SqsQueueBackend({ logger: createLogger({ component: 'queue-sqs' }, { level: 'silent' }), ...options, settings }),
    createClient: () => createSqsClient(settings),
  };
}

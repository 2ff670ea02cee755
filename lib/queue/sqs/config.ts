/**
 * Where the SQS backend finds its queues. Locally (STAGE=local) it talks to the emulator on
 * 127.0.0.1:4566 with dummy credentials; on AWS stages the endpoint is left to the SDK and
 * credentials come from the Lambda role.
 */
import * as z from 'zod';
import { coreConfig, defineConfig, env } from '../../config';

export const LOCAL_SQS_ENDPOINT = 'http://127.0.0.1:4566';

export const sqsEnvConfig = defineConfig({
  /** Emulator or LocalStack URL; unset on AWS. Defaults to http://127.0.0.1:4566 when STAGE=local. */
  SQS_ENDPOINT: env.url(['http', 'https']).optional().describe(`emulator or LocalStack URL; ${LOCAL_SQS_ENDPOINT} when unset and STAGE=local, the SDK's own on AWS`),
  AWS_REGION: env.string('us-east-1').describe('region of the SQS queues'),
  /** Prepended to every queue name; `${STAGE}-` when unset. */
  SQS_QUEUE_PREFIX: z.string().min(1).optional().describe('prepended to every queue name; `${STAGE}-` when unset'),
  /** Create a queue (and its DLQ) on first use when it does not exist. Default: only with a local endpoint. */
  SQS_CREATE_QUEUES: env.bool().describe('create a missing queue and its DLQ on first use; when unset, only with an endpoint (never on AWS)'),
  /** How often waitForMessage looks at the queue's counters (SQS has no non-consuming long poll). */
  SQS_WAIT_POLL_MS: env.int(250, { min: 20, max: 20000 }).describe('how often `waitForMessage` reads the queue\'s message counter'),
  /**
   * WaitTimeSeconds of a lease's ReceiveMessage. On AWS a short poll (0) samples only some servers
   * and may answer "empty" while messages wait, which would end a consumer run early; any wait
   * above 0 asks them all. Default: 1 on AWS, 0 with an endpoint (the emulator does not sample).
   */
  SQS_RECEIVE_WAIT_SECONDS: z.coerce
    .number({ message: 'must be a whole number' })
    .int('must be a whole number')
    .min(0)
    .max(20)
    .optional()
    .describe('`WaitTimeSeconds` of a lease; when unset, 1 on AWS and 0 with an endpoint'),
});

export interface SqsSettings {
  endpoint: string | undefined;
  region: string;
  queuePrefix: string;
  createQueues: boolean;
  waitPollMs: number;
  /** See SQS_RECEIVE_WAIT_SECONDS; derived from the endpoint when absent. */
  receiveWaitSeconds?: number;
}

/** Resolves the SQS settings from the environment, applying the stage-dependent defaults. */
export function sqsSettings(source: Record<string, string | undefined> = process.env): SqsSettings {
  const core = coreConfig(source);
  const vars = sqsEnvConfig(source);
  const endpoint = vars.SQS_ENDPOINT ?? (core.STAGE === 'local' ? LOCAL_SQS_ENDPOINT : undefined);
  return {
    endpoint,
    region: vars.AWS_REGION,
    queuePrefix: vars.SQS_QUEUE_PREFIX ?? `${core.STAGE}-`,
    createQueues: vars.SQS_CREATE_QUEUES ?? endpoint !== undefined,
    waitPollMs: vars.SQS_WAIT_POLL_MS,
    receiveWaitSeconds: vars.SQS_RECEIVE_WAIT_SECONDS ?? (endpoint === undefined ? 1 : 0),
  };
}

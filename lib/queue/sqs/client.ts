/**
 * The SQS client, built from SqsSettings. Building it opens no connection, so a handler can
 * create it at module scope without slowing down or hanging its cold start.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SqsSettings } from './config';

/** Dummy credentials for emulators: they check no signature, and no AWS credentials are needed locally. */
const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Creates the SDK client; with an endpoint (emulator, LocalStack) and no AWS key in the environment it signs with dummy credentials. */
export function createSqsClient(settings: Pick<SqsSettings, 'endpoint' | 'region'>): SQSClient {
  const useDummyCredentials = settings.endpoint !== undefined && !process.env.AWS_ACCESS_KEY_ID;
  return new SQSClient({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(useDummyCredentials ? { credentials: EMULATOR_CREDENTIALS } : {}),
    maxAttempts: 3,
    // Long polls last up to 20 s; anything slower than that is an outage, not a wait.
    requestHandler: { connectionTimeout: 3000, requestTimeout: 25000 },
  });
}

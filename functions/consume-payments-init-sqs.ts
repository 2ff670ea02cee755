/**
 * `consume-payments-init-sqs`, triggered by the SQS event source mapping of the `payments-init`
 * queue (stages with param queueBackend `sqs`; serverless/consumers-sqs.yml), with
 * ReportBatchItemFailures.
 *
 * Upserts each outcome into payments_initial and deletes the pending rows of failed orders, as
 * `consume-payments-init` does. Records whose write met a database outage are reported for
 * redelivery; everything else is settled and deleted.
 */
import { consumePaymentsInitSqsEvent } from '../lib/pending/jobs';
import { createHandlerRuntime } from '../lib/handler-runtime';
import type { SqsEvent } from '../lib/queue/sqs/lambda-event';

const runtime = createHandlerRuntime('consume-payments-init-sqs');

export const handler = async (event: SqsEvent) => runtime.run((base) => consumePaymentsInitSqsEvent(base, event));

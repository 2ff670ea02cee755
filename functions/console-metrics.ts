/**
 * Trigger: schedule (serverless/console-metrics.yml, `consoleMetricsSchedule`).
 * Guarantee: every managed queue's ready, in-flight, delayed and dead counts, oldest age (where the
 * backend knows it) and damaged rows are written as CloudWatch embedded metrics (namespace
 * CONSOLE_METRICS_NAMESPACE, dimensions Stage and Queue) for the alarms of serverless/console-alarms.js.
 */
import { consoleMetricsJob } from '../lib/console/jobs';
import { consoleClients } from '../lib/runtime/clients/console';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('console-metrics', consoleMetricsJob, consoleClients);

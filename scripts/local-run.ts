/**
 * `npm start`: the main job. Starts (or reuses) the local stack, migrates the local database
 * (`buffer_local` unless DATABASE_URL names another), runs every capability's stage over sample
 * traffic (scripts/local-run/pipeline.ts), prints a summary per queue and per table, stops what
 * it started, and exits 0 only when every stage's outcome is as expected.
 */
import { consumerConfig } from '../lib/consumer/config';
import { createDamagedStore } from '../lib/consumer/damaged-store';
import { retryPolicyFromConfig } from '../lib/consumer/retry-policy';
import { coreConfig } from '../lib/config';
import { migrateDatabase, openDatabase, type Database } from '../lib/db/client';
import { createLogger } from '../lib/log';
import { createQueueBackend } from '../lib/queue';
import type { QueueBackend } from '../lib/queue/types';
import { demoStage } from './local-run/demo-stage';
import { formatSummary, QueueTally, runPipeline, type PipelineStage } from './local-run/pipeline';
import { startStack, type Stack } from './stack';

/** One entry per capability; contribution tracking, pending and impressions add theirs here. */
function pipelineStages(): PipelineStage[] {
  return [demoStage()];
}

async function main(): Promise<number> {
  const logger = createLogger({ component: 'local-run' }, { level: process.env.LOG_LEVEL ?? 'error' });
  let stack: Stack | undefined;
  let backend: QueueBackend | undefined;
  let database: Database | undefined;
  const stopAll = async () => {
    await backend?.close();
    await database?.close();
    await stack?.stop();
  };
  const onSignal = () => {
    process.stderr.write('interrupted; stopping the local stack\n');
    stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    stack = await startStack();
    Object.assign(process.env, stack.env);
    coreConfig.reset();
    const { DATABASE_URL, REDIS_URL } = coreConfig();
    process.stderr.write(`local stack: ${stack.services.map((s) => `${s.name} (${s.private ? 'private' : 'configured'})`).join(', ')}\n`);
    await migrateDatabase(DATABASE_URL);
    backend = createQueueBackend({ redis: { url: REDIS_URL } });
    database = openDatabase(DATABASE_URL);
    const started = Date.now();
    const { summary, problems } = await runPipeline(pipelineStages(), {
      backend,
      database,
      damagedStore: createDamagedStore(database.db),
      // Retry at once, so that the second pass sees what the first pass scheduled.
      retryPolicy: { ...retryPolicyFromConfig(consumerConfig()), requeueDelaySeconds: 0 },
      logger,
      env: stack.env,
      tally: new QueueTally(),
    });
    process.stdout.write(`\n${formatSummary(summary)}\n\n`);
    process.stdout.write(`Local run took ${((Date.now() - started) / 1000).toFixed(1)} s (database ${new URL(DATABASE_URL).pathname.slice(1)}).\n`);
    if (problems.length > 0) {
      process.stdout.write(`Unexpected outcomes:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
      return 1;
    }
    process.stdout.write('All stages behaved as expected.\n');
    return 0;
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`local run failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);

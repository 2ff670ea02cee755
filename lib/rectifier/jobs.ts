/**
 * The rectifier's jobs as their functions run them (lib/job.ts): gateways, adapters and limits from
 * configuration, one call into the rectifier. The adapters are stateless HTTP clients, built
 * once with the options.
 */
import { databaseAnswers } from '../db/client';
import { configuredRetryPolicy } from '../consumer/retry-policy';
import { defineJob } from '../job';
import type { Logger } from '../log';
import { pendingConfig } from '../pending/config';
import { adaptersFromConfig, gatewaysToRectify } from './adapters';
import { rectifierConfig } from './config';
import { rectifyOrphans, type RectifierDeps, type RectifyOptions, type RectifyResult } from './orphan-rectifier';
import { runBatchConsumer, type ConsumerCounts } from '../consumer/run-batch-consumer';
import type { RunSource } from './run-history';
import { handleTriggers } from './triggered';
import { runSqsEventBatch } from '../consumer/run-sqs-event';
import type { SqsBatchResponse, SqsEvent } from '../queue/sqs/lambda-event';
import type { TriggerOptions } from '../pending/rectify-trigger';

function rectifyOptions(source: RunSource = 'scheduled') {
  const config = rectifierConfig();
  const pending = pendingConfig();
  const adapters = adaptersFromConfig(config);
  const history: RectifyOptions['history'] = { source, keep: config.RECTIFY_RUN_HISTORY };
  return {
    adapters,
    retryPolicy: configuredRetryPolicy(),
    gateways: gatewaysToRectify(config, adapters),
    minAgeMinutes: config.RECTIFY_ORPHANS_MIN_AGE_MINUTES,
    limitPerGateway: config.RECTIFY_ORPHANS_LIMIT,
    timeLimitSeconds: config.RECTIFY_ORPHANS_TIME_LIMIT_SECONDS,
    concurrency: config.RECTIFY_ORPHANS_CONCURRENCY,
    resolveMode: pending.PENDING_RESOLVE_MODE,
    donationsQueue: pending.DONATIONS_QUEUE,
    pendingQueue: pending.PENDING_QUEUE,
    history,
  };
}

/**
 * What the pending consumers trigger this rectifier with (lib/pending/rectify-trigger.ts): the
 * gateways it settles and the age at which a row becomes an orphan; undefined when
 * RECTIFY_TRIGGERS is off. Given to `consumePendingJob` by the consume-pending handlers.
 */
export function rectifyTriggerOptions(env: Record<string, string | undefined> = process.env): TriggerOptions | undefined {
  const pending = pendingConfig(env);
  if (!pending.RECTIFY_TRIGGERS) return undefined;
  const config = rectifierConfig(env);
  return { queue: pending.RECTIFY_QUEUE, minAgeMinutes: config.RECTIFY_ORPHANS_MIN_AGE_MINUTES, gateways: gatewaysToRectify(config, adaptersFromConfig(config)) };
}

/**
 * `consume-rectify`: the delayed triggers of the `rectify` queue (lib/rectifier/triggered.ts), one
 * rectifier run per batch over its due gateways, each within what is left of the run's time limit.
 */
export const consumeRectifyJob = defineJob({
  options: () => {
    const pending = pendingConfig();
    return { ...rectifyOptions('triggered'), triggerQueue: pending.RECTIFY_QUEUE, runTimeLimitSeconds: pending.CONSUME_RECTIFY_TIME_LIMIT_SECONDS };
  },
  run: (deps: Omit<RectifierDeps, 'adapters' | 'retryPolicy'> & { logger: Logger }, { adapters, retryPolicy, runTimeLimitSeconds, ...options }): Promise<ConsumerCounts> => {
    const deadline = Date.now() + runTimeLimitSeconds * 1000;
    const remaining = () => (runTimeLimitSeconds === 0 ? options.timeLimitSeconds : Math.max(1, Math.floor((deadline - Date.now()) / 1000)));
    return runBatchConsumer({
      backend: deps.backend,
      queue: options.triggerQueue,
      timeLimitSeconds: runTimeLimitSeconds,
      messageLimit: 0,
      batchSize: 100,
      damagedStore: deps.damagedStore,
      retryPolicy,
      logger: deps.logger,
      dependenciesReachable: async () => (await Promise.all([databaseAnswers(deps.db), databaseAnswers(deps.trackingDb)])).every(Boolean),
      handleBatch: async (messages) =>
        (await handleTriggers({ ...deps, adapters, retryPolicy }, messages, { ...options, timeLimitSeconds: Math.min(options.timeLimitSeconds, remaining()) })).failures,
    });
  },
});

/**
 * `consume-rectify-sqs`: the triggers of one SQS event (the `rectify` queue's event source), one
 * rectifier run over their due gateways; not-yet-due triggers are pushed again.
 */
export const consumeRectifySqsJob = defineJob({
  options: () => ({ ...rectifyOptions('triggered'), triggerQueue: pendingConfig().RECTIFY_QUEUE }),
  run: (deps: Omit<RectifierDeps, 'adapters' | 'retryPolicy'> & { logger: Logger }, { adapters, retryPolicy, ...options }, event: SqsEvent): Promise<SqsBatchResponse> =>
    runSqsEventBatch(event, async (messages) => (await handleTriggers({ ...deps, adapters, retryPolicy }, messages, options)).failures, {
      queue: options.triggerQueue,
      retryPolicy,
      damagedStore: deps.damagedStore,
      logger: deps.logger,
    }),
});

/** `rectify-orphans`: the orphans of every configured gateway. */
export const rectifyOrphansJob = defineJob({
  options: () => rectifyOptions('scheduled'),
  run: (deps: Omit<RectifierDeps, 'adapters' | 'retryPolicy'>, { adapters, retryPolicy, ...options }): Promise<RectifyResult> =>
    rectifyOrphans({ ...deps, adapters, retryPolicy }, options),
});

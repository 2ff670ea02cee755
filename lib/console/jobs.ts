/**
 * The `console` function's job (lib/job.ts): options from configuration, each invocation one
 * HTTP request through the web console (hono/aws-lambda). The app is built once per runtime.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { handle, type LambdaEvent } from 'hono/aws-lambda';
import { coreConfig } from '../config';
import { defineJob } from '../job';
import { publishFigures, publishImpressionsLag, type PublishedFigures } from './cloudwatch';
import { consoleMetricsConfig, consoleWebConfig } from './config';
import { consoleOptions, createConsoleOperations, type ConsoleDeps, type ConsoleOptions } from './operations';
import { createConsoleApp } from './web/app';
import type { WebAuthOptions } from './web/auth';

/** Web console options: the operations' and how callers are identified. */
export interface ConsoleWebOptions extends ConsoleOptions {
  auth: WebAuthOptions;
}

/** The web options from configuration; CONSOLE_TOKEN is required. */
export function consoleWebOptions(): ConsoleWebOptions {
  const web = consoleWebConfig();
  return { ...consoleOptions(), auth: { mode: web.CONSOLE_AUTH, secret: web.CONSOLE_TOKEN, sessionHours: web.CONSOLE_SESSION_HOURS } };
}

/** The console app over `deps`: what the function and the local process serve. */
export function consoleAppFor(deps: ConsoleDeps, options: ConsoleWebOptions) {
  return createConsoleApp(createConsoleOperations(deps, options), options.auth, deps.logger);
}

const handlers = new WeakMap<ConsoleDeps, ReturnType<typeof handle>>();

/** `console`: one HTTP API request (`/console`, `/console/{proxy+}`). */
export const consoleHttpJob = defineJob({
  options: consoleWebOptions,
  run: (deps: ConsoleDeps, options, event: LambdaEvent) => {
    let handler = handlers.get(deps);
    if (!handler) {
      handler = handle(consoleAppFor(deps, options));
      handlers.set(deps, handler);
    }
    return handler(event);
  },
});

/**
 * `console-metrics` (schedule): every managed queue's figures and its damaged rows, and the
 * impressions loader's lag per topic, as CloudWatch
 * embedded metrics, so that alarms see Redis queues too. Fails the invocation only when the
 * database cannot be read; an unreadable queue is logged and left out (its alarms see no data).
 */
export const consoleMetricsJob = defineJob({
  options: () => ({ ...consoleOptions(), namespace: consoleMetricsConfig().CONSOLE_METRICS_NAMESPACE, stage: coreConfig().STAGE }),
  run: async (deps: ConsoleDeps, options): Promise<PublishedFigures> => {
    const ops = createConsoleOperations(deps, options);
    const [queues, damagedByQueue, lag] = await Promise.all([ops.queueOverview(), ops.damagedCounts(), ops.impressionsLag()]);
    // serviceName becomes the `service` dimension; serverless/console-alarms.js names the same one.
    const metrics = new Metrics({ namespace: options.namespace, serviceName: 'donation-buffer', defaultDimensions: { Stage: options.stage } });
    const published = publishFigures(metrics, queues, damagedByQueue);
    publishImpressionsLag(metrics, lag, published);
    if (published.unreadable.length > 0) deps.logger.warn({ unreadable: published.unreadable }, 'console-metrics: some queues could not be read');
    if (lag.kafkaError) deps.logger.warn({ err: lag.kafkaError }, 'console-metrics: no impressions lag published');
    deps.logger.info({ queues: published.queues.length }, 'console-metrics published');
    return published;
  },
});

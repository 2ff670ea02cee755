/**
 * The one way a handler in `functions/` runs its job: `createHandler(component, job, clients)`
 * at module scope. The runtime (the named clients, the job's options, a logger) is built on the
 * first invocation and reused by the next ones (Lambda and serverless-offline keep the module
 * loaded), so connections survive between invocations. A handler opens only the clients it
 * names, and the type of `clients` requires exactly what the job's dependencies need.
 *
 * `sls invoke local` (IS_LOCAL=true, IS_OFFLINE unset) runs an invocation in a process that only
 * exits once its event loop is empty: there the runtime is closed after each invocation and built
 * again on the next one. serverless-offline also sets IS_LOCAL in some versions, but it sets
 * IS_OFFLINE and reuses the module across requests, so it keeps its clients open.
 */
import { coreConfig } from '../config';
import type { Job } from '../job';
import { createLogger, type Logger } from '../log';
import type { ClientSpec, OpenContext } from './client';
import { invocationRecorderClient } from './clients/invocation-recorder';
import { countsOfResult, invocationPublisher, type Invocation, type PublishInvocation, type RecordInvocation } from './invocation-metrics';

/** One spec per dependency of the job (the logger is always given). */
export type ClientsFor<Deps> = { [K in keyof Omit<Deps, 'logger'>]-?: ClientSpec<Deps[K]> };

/** An opened runtime: the job's dependencies and options, and how to close them. */
export interface OpenedRuntime<Deps, Options> {
  deps: Deps;
  options: Options;
  /** Writes each invocation's metrics; absent where METRICS_NAMESPACE is unset. */
  publish?: PublishInvocation;
  /** Records each invocation for the console (./clients/invocation-recorder.ts); absent where the caller opened none. */
  record?: RecordInvocation;
  close(): Promise<void>;
}

/** True under `sls invoke local`, where one invocation must leave nothing open behind it. */
export function closesAfterInvocation(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.IS_LOCAL === 'true' && env.IS_OFFLINE !== 'true';
}

/**
 * Opens `clients` and the job's options. Specs open in the order named, each at most once;
 * `close` ends them in reverse order, so a client built on another (the damaged store on the
 * database) goes first, and one failing to close does not keep the others open. `recorder` is
 * where invocations are recorded for the console (null: nowhere); it opens after the job's
 * clients, so that it shares their Redis connection.
 */
export function openRuntime<Deps, Options, Event, Result>(
  component: string,
  job: Job<Deps, Options, Event, Result>,
  clients: ClientsFor<Deps>,
  recorder: ClientSpec<RecordInvocation> | null = invocationRecorderClient,
): OpenedRuntime<Deps, Options> {
  const logger = createLogger({ component });
  const opened = new Map<ClientSpec<unknown>, unknown>();
  const order: Array<ClientSpec<unknown>> = [];
  const close = async () => {
    for (const spec of order.reverse()) {
      try {
        await spec.close?.(opened.get(spec));
      } catch (error) {
        logger.warn({ client: spec.name, err: (error as Error).message }, 'client did not close cleanly');
      }
    }
  };
  const context: OpenContext = {
    component,
    logger,
    use<T>(spec: ClientSpec<T>): T {
      if (!opened.has(spec)) {
        const client = spec.open(context);
        opened.set(spec, client);
        order.push(spec);
      }
      return opened.get(spec) as T;
    },
  };
  try {
    const options = job.options();
    const { METRICS_NAMESPACE, STAGE } = coreConfig();
    const deps: Record<string, unknown> = { logger };
    for (const [key, spec] of Object.entries(clients) as Array<[string, ClientSpec<unknown>]>) deps[key] = context.use(spec);
    const publish = METRICS_NAMESPACE ? invocationPublisher(METRICS_NAMESPACE, STAGE, component) : undefined;
    const record = recorder ? context.use(recorder) : undefined;
    return { deps: deps as Deps, options, publish, record, close };
  } catch (error) {
    void close();
    throw error;
  }
}

export interface HandlerOptions<Deps, Options> {
  /** Builds the runtime; `openRuntime` by default (tests pass fakes). */
  open?: () => OpenedRuntime<Deps, Options>;
  /** Where the default runtime records invocations for the console; the Redis recorder by default, null for none (tests). */
  recorder?: ClientSpec<RecordInvocation> | null;
}

/**
 * The handler of `component`: each invocation is one `job.run` with the module's runtime, and,
 * after it, failed or not: one metrics document where the runtime publishes metrics, and one
 * record for the console where it records them. Neither can fail the invocation.
 */
export function createHandler<Deps, Options, Event = void, Result = unknown>(
  component: string,
  job: Job<Deps, Options, Event, Result>,
  clients: ClientsFor<Deps>,
  { recorder, open = () => openRuntime(component, job, clients, recorder) }: HandlerOptions<Deps, Options> = {},
): (event: Event) => Promise<Result> {
  let current: OpenedRuntime<Deps, Options> | undefined;
  return async (event: Event) => {
    current ??= open();
    const { deps, options, publish, record } = current;
    const started = performance.now();
    let result: Result | undefined;
    let failed = true;
    try {
      result = await job.run(deps, options, event);
      failed = false;
      return result;
    } finally {
      // Metrics never fail an invocation: its work is done (or its own error is on its way).
      const warn = (error: unknown, what: string) => (deps as { logger?: Logger }).logger?.warn({ err: (error as Error).message }, what);
      const invocation: Invocation = { durationMs: performance.now() - started, failed, counts: {} };
      try {
        if (!failed) invocation.counts = job.figures ? job.figures(result as Result, event) : countsOfResult(event, result);
      } catch (error) {
        warn(error, 'invocation counts not read');
      }
      try {
        publish?.(invocation);
      } catch (error) {
        warn(error, 'invocation metrics not written');
      }
      // Awaited (it waits a bounded time and never rejects): a Lambda frozen after the return would hold the write back.
      if (record) await record(invocation).catch((error: unknown) => warn(error, 'invocation figures not recorded'));
      if (closesAfterInvocation() && current) {
        const closing = current;
        current = undefined;
        await closing.close();
      }
    }
  };
}

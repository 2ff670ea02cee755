/**
 * What a function runs, declared the same way by every capability: configuration becomes
 * options once (when the handler's runtime is built, so a bad variable fails the first
 * invocation with every problem named), then each invocation is one call into the capability
 * with the clients it names in `Deps` and nothing else.
 *
 * A capability depends on this type only; how clients are opened, shared and closed is the
 * runtime's business (lib/runtime/), which only `functions/` and scripts import.
 */
export interface Job<Deps, Options, Event = void, Result = unknown> {
  /** Reads and validates the job's configuration. */
  options(): Options;
  /** One invocation. A `logger` in `deps` is always given, named after the function. */
  run(deps: Deps, options: Options, event: Event): Promise<Result>;
  /**
   * What an invocation's result says of the messages it handled, for the function's metrics;
   * unset, the runtime reads a consumer run's counts or an SQS partial batch response itself.
   */
  figures?(result: Result, event: Event): InvocationCounts;
}

/** Message counts an invocation reports, by metric (lib/runtime/invocation-metrics.ts); absent where the run does not say. */
export type InvocationCounts = Partial<Record<'processed' | 'failed' | 'damaged' | 'retryScheduled' | 'dropped' | 'deadLettered', number>>;

/** One invocation's figures, as the runtime writes them after it (CloudWatch, and Redis for the console). */
export interface Invocation {
  durationMs: number;
  failed: boolean;
  counts: InvocationCounts;
}

/** Declares a job; the identity at run time, it lets TypeScript infer the job's types once. */
export function defineJob<Deps, Options, Event = void, Result = unknown>(job: Job<Deps, Options, Event, Result>): Job<Deps, Options, Event, Result> {
  return job;
}

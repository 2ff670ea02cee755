/**
 * The error taxonomy shared by every capability.
 *
 * What a consumer does with a failure depends only on its class, so the classes encode the
 * decision: a retryable message error is stored for a later retry, a permanent one is stored
 * for a person, an infrastructure error stops the run without acking, a drop is deliberate.
 */

/** Base class: every error of this project has a stable `name` that logs and tests can match. */
export abstract class BufferError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid or missing configuration, found at start-up. Fixing the environment is the only cure. */
export class ConfigError extends BufferError {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * The message cannot be processed yet but may succeed later (e.g. its predecessor has not
 * arrived). The consumer runner stores it with a retry date while it is young enough.
 */
export class RetryableError extends BufferError {}

/** The message itself is wrong and retrying cannot help: it goes to `damaged` for a person. */
export class PermanentError extends BufferError {}

/** The message is unparseable or violates the wire format. A kind of permanent failure. */
export class MalformedMessageError extends PermanentError {}

/** The handler decided not to process the message on purpose (e.g. a duplicate): acked, logged. */
export class DropMessageError extends BufferError {}

/**
 * A dependency (database, damaged store, Redis, a processor's API) is unreachable. Nothing is
 * wrong with the message: it is released back to its queue and the run stops with a failure.
 */
export class InfrastructureError extends BufferError {}

/** Reduces any thrown value to an Error, so that callers can rely on `message` and `stack`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

/**
 * When a retryable failure is tried again. A message that cannot be processed yet (its
 * predecessor has not arrived) waits in `damaged` for the requeue delay and is then pushed
 * back; once it is older than the maximum age nobody expects the predecessor any more, so it
 * stays in `damaged` for a person.
 */
import { consumerConfig } from './config';
import { messageTimestamp } from './message-time';

export interface RetryPolicy {
  /** How long a retryable failure waits before it is requeued. */
  requeueDelaySeconds: number;
  /** Messages older than this (since production) are not retried. */
  requeueMaxAgeSeconds: number;
}

/** The legacy defaults: retry after 20 minutes, give up at 200 minutes. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { requeueDelaySeconds: 1200, requeueMaxAgeSeconds: 12000 };

/** Builds a policy from the consumer configuration's variables. */
export function retryPolicyFromConfig(config: { REQUEUE_DELAY_SECONDS: number; REQUEUE_MAX_AGE_SECONDS: number }): RetryPolicy {
  return { requeueDelaySeconds: config.REQUEUE_DELAY_SECONDS, requeueMaxAgeSeconds: config.REQUEUE_MAX_AGE_SECONDS };
}

/** The policy REQUEUE_DELAY_SECONDS and REQUEUE_MAX_AGE_SECONDS configure, for every job that settles failures. */
export function configuredRetryPolicy(): RetryPolicy {
  return retryPolicyFromConfig(consumerConfig());
}

/**
 * Age of a message in seconds at `now`, from `source_enqueued_time`, else `date`. A message
 * carrying neither counts as new: we cannot tell it is too old, so it gets its retries.
 */
export function messageAgeSeconds(body: unknown, now: Date): number {
  const produced = messageTimestamp(body);
  if (produced === null) return 0;
  return Math.max(0, (now.getTime() - produced) / 1000);
}

/**
 * The retry date for a retryable failure at `now`, or null when the message is too old to be
 * retried. A message exactly at the maximum age is no longer retried.
 */
export function retryDateFor(body: unknown, now: Date, policy: RetryPolicy): Date | null {
  if (messageAgeSeconds(body, now) >= policy.requeueMaxAgeSeconds) return null;
  return new Date(now.getTime() + policy.requeueDelaySeconds * 1000);
}

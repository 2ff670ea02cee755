/**
 * The legacy `source_*` fields every message carries (docs/queue.md), shared by the Redis and
 * SQS backends. Fields the message already has are kept as they are: a requeued message keeps its
 * original `source_enqueued_time`, which the consumer runner uses to decide whether it is too old
 * to retry.
 */
import { hostname } from 'node:os';
import { coreConfig } from '../config';
import type { MessageBody, SourceType } from './types';

/** Who is pushing: the process-wide values stamped on each message. */
export interface SourceIdentity {
  sourceName: string;
  sourceVersion: string;
  sourceHost: string;
  sourceRunId: number;
}

/** The identity of this process, from coreConfig(), the host name and the pid. */
export function currentSourceIdentity(): SourceIdentity {
  const config = coreConfig();
  return { sourceName: config.SOURCE_NAME, sourceVersion: config.SOURCE_VERSION, sourceHost: hostname(), sourceRunId: process.pid };
}

/**
 * Adds the source fields the message lacks, except `source_enqueued_time`, which must come from
 * the queue server's clock (the Redis backend stamps it inside the push script with
 * `spliceEnqueuedTime`'s logic). Returns a new object; the caller's message is not modified.
 */
export function withSourceFields(message: MessageBody, identity: SourceIdentity, sourceType: SourceType = 'direct'): MessageBody {
  const stamped: MessageBody = { ...message };
  stamped.source_name ??= identity.sourceName;
  stamped.source_type ??= sourceType;
  stamped.source_host ??= identity.sourceHost;
  stamped.source_run_id ??= identity.sourceRunId;
  stamped.source_version ??= identity.sourceVersion;
  return stamped;
}

/** True when the message still needs `source_enqueued_time` (absent, null or blank). */
export function needsEnqueuedTime(message: MessageBody): boolean {
  const value = message.source_enqueued_time;
  return value === undefined || value === null || value === '';
}

/**
 * Adds `"source_enqueued_time":<seconds>` as the last member of a serialised JSON object, the
 * same splice the Redis push script does with Redis TIME. `json` must be JSON.stringify output of
 * an object without that field.
 */
export function spliceEnqueuedTime(json: string, unixSeconds: number): string {
  if (!json.endsWith('}')) throw new TypeError('not a serialised JSON object');
  const separator = json === '{}' ? '' : ',';
  return `${json.slice(0, -1)}${separator}"source_enqueued_time":${Math.floor(unixSeconds)}}`;
}

/**
 * Triggered rectification: after a batch, the pending consumer arranges that each newly imported
 * row is looked at by the rectifier once it is old enough, instead of waiting for the next fixed
 * run (which stays, as the safety net). Per gateway of the batch, one delayed message on the
 * `rectify` queue, `{"gateway": …, "due": <unix seconds>}`, due when the batch's earliest row of
 * that gateway reaches the rectifier's minimum age. SQS delays a message at most 15 minutes, and
 * the Redis backend is held to the same bound: a trigger is pushed with the delay clamped, and its
 * consumer pushes it again, with what remains, until it is due (a chain).
 */
import { MalformedMessageError } from '../errors';
import { isJsonObject } from '../json-object';
import type { QueueBackend } from '../queue/types';
import type { PendingMessage } from './normalise-message';

/** SQS's largest per-message delay, in seconds. */
export const MAX_TRIGGER_DELAY_SECONDS = 900;

/** One gateway's rows become old enough at `due` (unix seconds). */
export interface RectifyTrigger {
  gateway: string;
  due: number;
}

export interface TriggerOptions {
  /** Where triggers go (RECTIFY_QUEUE). */
  queue: string;
  /** The rectifier's minimum age (RECTIFY_ORPHANS_MIN_AGE_MINUTES). */
  minAgeMinutes: number;
  /** Gateways the rectifier settles: the others get no trigger. */
  gateways: readonly string[];
}

/** Per rectified gateway, when the earliest of these stored rows is old enough. */
export function triggersFor(stored: readonly PendingMessage[], options: Pick<TriggerOptions, 'minAgeMinutes' | 'gateways'>): RectifyTrigger[] {
  const earliest = new Map<string, number>();
  for (const message of stored) {
    if (!options.gateways.includes(message.gateway)) continue;
    const due = message.date + options.minAgeMinutes * 60;
    if (!earliest.has(message.gateway) || due < earliest.get(message.gateway)!) earliest.set(message.gateway, due);
  }
  return [...earliest].map(([gateway, due]) => ({ gateway, due }));
}

/** The delay to push a trigger with: until it is due, at most MAX_TRIGGER_DELAY_SECONDS, never negative. */
export function triggerDelaySeconds(trigger: RectifyTrigger, now: Date): number {
  return Math.max(0, Math.min(MAX_TRIGGER_DELAY_SECONDS, Math.ceil(trigger.due - now.getTime() / 1000)));
}

/** Pushes each trigger with its (clamped) delay. */
export async function pushTriggers(backend: QueueBackend, queue: string, triggers: readonly RectifyTrigger[], now: Date = new Date()): Promise<void> {
  for (const trigger of triggers) {
    await backend.push(queue, { gateway: trigger.gateway, due: trigger.due }, { delaySeconds: triggerDelaySeconds(trigger, now) });
  }
}

/** Reads a trigger message; MalformedMessageError names what is wrong. */
export function parseTrigger(body: unknown): RectifyTrigger {
  if (!isJsonObject(body)) throw new MalformedMessageError('rectify trigger is not a JSON object');
  const due = Number(body.due);
  if (typeof body.gateway !== 'string' || body.gateway === '' || !Number.isSafeInteger(due) || due <= 0) {
    throw new MalformedMessageError('invalid rectify trigger: needs gateway and due (unix seconds)');
  }
  return { gateway: body.gateway, due };
}

/**
 * Which wire format (docs/architecture.md §5) a queue's messages must have, so that an edited
 * message is checked by the same normaliser or parser its consumer uses before it goes back.
 * A queue without a known format only needs a JSON object: what every consumer requires.
 */
import { MalformedMessageError } from '../errors';
import { pendingConfig } from '../pending/config';
import { normalisePendingMessage } from '../pending/normalise-message';
import { parsePaymentsInitMessage } from '../pending/payments-initial-store';
import { trackingConfig } from '../tracking/config';
import { normaliseTrackingMessage } from '../tracking/message';
import { InvalidMessageEditError } from './errors';

export type WireFormat = 'pending' | 'payments-init' | 'contribution-tracking' | 'json-object';

/** Queue name → format, from the queue names the pipelines are configured with. */
export function configuredWireFormats(): Record<string, WireFormat> {
  const pending = pendingConfig();
  return {
    [pending.PENDING_QUEUE]: 'pending',
    // Donations carry the pending shape (§5.1): the rectifier merges a completion into a pending row.
    [pending.DONATIONS_QUEUE]: 'pending',
    [pending.PAYMENTS_INIT_QUEUE]: 'payments-init',
    [trackingConfig().TRACKING_QUEUE]: 'contribution-tracking',
  };
}

const CHECKS: Record<WireFormat, (message: unknown) => unknown> = {
  pending: normalisePendingMessage,
  'payments-init': parsePaymentsInitMessage,
  'contribution-tracking': normaliseTrackingMessage,
  'json-object': (message) => {
    if (message === null || typeof message !== 'object' || Array.isArray(message)) throw new MalformedMessageError('message is not a JSON object');
    return message;
  },
};

/** The format of `queue`'s messages; `json-object` for a queue no pipeline names. */
export function wireFormatOf(formats: Record<string, WireFormat>, queue: string): WireFormat {
  return formats[queue] ?? 'json-object';
}

/**
 * `message` as `format`'s consumer reads it (its own normaliser or parser); throws
 * MalformedMessageError naming the rule it breaks, never a value. The cutover moves legacy
 * messages through this too (lib/cutover/legacy-message.ts).
 */
export function normaliseToWireFormat(format: WireFormat, message: unknown): unknown {
  return CHECKS[format](message);
}

/**
 * Checks `message` against `queue`'s wire format; throws InvalidMessageEditError naming the
 * rule it breaks (the consumers' own texts, which name fields and never values).
 */
export function checkWireFormat(formats: Record<string, WireFormat>, queue: string, message: unknown): void {
  const format = wireFormatOf(formats, queue);
  try {
    normaliseToWireFormat(format, message);
  } catch (error) {
    if (error instanceof MalformedMessageError) throw new InvalidMessageEditError(`not valid for ${queue} (${format} format): ${error.message}`, { cause: error });
    throw error;
  }
}

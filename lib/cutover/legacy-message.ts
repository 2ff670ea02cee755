/**
 * One legacy message on its way to the queue that replaces its channel: parsed, put through the
 * normaliser its new consumer uses (lib/console/wire-format.ts), and given an identity by
 * content, so that every run of every mover (drain, bridge, importers) gives the same message
 * the same idempotency key (docs/queue.md, Idempotent push).
 */
import { messageHash } from '../content-hash';
import { MalformedMessageError } from '../errors';
import { parseJsonObject } from '../json-object';
import type { MessageBody } from '../queue/types';
import { normaliseToWireFormat, type WireFormat } from '../console/wire-format';

/** A legacy message ready to push: the body as its producer sent it, and its content hash. */
export interface MovableMessage {
  ok: true;
  body: MessageBody;
  /** SHA-256 (hex) of the normalised message without `source_*` fields: its identity. */
  hash: string;
}

/** A legacy message its consumer would refuse: it goes to `damaged` with its raw text. */
export interface UnmovableMessage {
  ok: false;
  error: MalformedMessageError;
}

/**
 * Reads `raw` as `format`'s consumer would. `fill` supplies what a legacy channel kept outside
 * the message (a limbo set's score is the date, its key names the gateway), only where the
 * message lacks it.
 */
export function readLegacyMessage(raw: string, format: WireFormat, fill: Record<string, unknown> = {}): MovableMessage | UnmovableMessage {
  const parsed = parseJsonObject(raw);
  if (!parsed.ok) return { ok: false, error: new MalformedMessageError('legacy message is not a JSON object') };
  const body: MessageBody = { ...parsed.value };
  for (const [key, value] of Object.entries(fill)) {
    if (body[key] === undefined || body[key] === null || body[key] === '') body[key] = value;
  }
  try {
    const normalised = normaliseToWireFormat(format, body) as Record<string, unknown>;
    // pending_id is a job's bookkeeping, not content (as in the pending table's message_key).
    return { ok: true, body, hash: messageHash(normalised, ['pending_id']) };
  } catch (error) {
    if (error instanceof MalformedMessageError) return { ok: false, error };
    throw error;
  }
}

/** Sample messages in real wire formats, for the local run; each call returns fresh copies. */
import type { MessageBody } from '../../lib/queue/types';
import paymentsInit from './payments-init.json';
import pendingLegacyKeys from './pending-message-legacy-keys.json';
import pending from './pending-message.json';

const copy = (message: object): MessageBody => JSON.parse(JSON.stringify(message)) as MessageBody;

/** A donation/pending message as DonationInterface sends it, without its source_* stamps. */
export function donationMessage(overrides: MessageBody = {}): MessageBody {
  const message = copy(pending);
  for (const key of Object.keys(message)) if (key.startsWith('source_')) delete message[key];
  return { ...message, ...overrides };
}

/** The same kind of message from an older producer, with the legacy key names. */
export function legacyDonationMessage(overrides: MessageBody = {}): MessageBody {
  return { ...copy(pendingLegacyKeys), ...overrides };
}

/** A payments-init message (the final outcome of one payment attempt). */
export function paymentsInitMessage(overrides: MessageBody = {}): MessageBody {
  return { ...copy(paymentsInit), ...overrides };
}

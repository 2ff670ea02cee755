/**
 * The one rule set that keeps donor personal data out of logs and error texts.
 *
 * Keys are matched case-insensitively after removing `_` and `-`, at any depth; values of
 * matching keys are replaced. Free text (error messages, unknown fields) is scanned for e-mail
 * addresses, IP addresses and card-like digit runs, which are masked.
 */

export const REDACTED = '[redacted]';

const PERSONAL_KEYS = new Set(
  [
    'email', 'email_address', 'first_name', 'last_name', 'fname', 'lname', 'full_name',
    'middle_name', 'nickname', 'street_address', 'street', 'street_supplemental',
    'supplemental_address_1', 'supplemental_address_2', 'postal_code', 'zip',
    'user_ip', 'ip', 'ip_address', 'phone', 'phone_number', 'card_num', 'card_number',
    'cardnumber', 'cvv', 'cvv2', 'cvc', 'expiration', 'card_expiry', 'iban', 'account_number',
    'bank_account', 'password', 'secret', 'authorization', 'employer', 'birth_date',
    // Where the donor lives and how to reach them, beyond the street and postal code: a city with a
    // name is often enough to single one out; the landing page's contact_id is the CRM's donor id.
    'city', 'state_province', 'contact_id', 'telephone', 'telephone_number', 'mobile_phone',
    // The processors' own names for the donor (Adyen, PayPal, Worldline), should one reach a log.
    'shopper_name', 'shopper_email', 'holder_name', 'account_holder', 'account_holder_name',
    'payer_name', 'given_name', 'surname', 'family_name',
  ].map(normaliseKey),
);

const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
// At least three colons, so that clock times such as 13:00:07 are left alone.
const IPV6 = /\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){3,7}\b/gi;
// Candidate card numbers; only those passing the Luhn check are masked (timestamps stay).
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/** True when a field of this name holds personal data and must never be logged. */
export function isPersonalKey(key: string): boolean {
  return PERSONAL_KEYS.has(normaliseKey(key));
}

/** Masks e-mail addresses, IP addresses and card-like numbers inside free text. */
export function redactText(text: string): string {
  return text
    .replace(EMAIL, REDACTED)
    .replace(IPV6, REDACTED)
    .replace(IPV4, REDACTED)
    .replace(CARD, (digits) => (passesLuhn(digits.replace(/[ -]/g, '')) ? REDACTED : digits));
}

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** A deep copy of `value` with personal fields and patterns masked; cycles are cut. */
export function redact(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redact(item, seen));
  if (value instanceof Error) {
    return { type: value.name, message: redactText(value.message), stack: value.stack && redactText(value.stack) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isPersonalKey(key) ? REDACTED : redact(item, seen);
  }
  return out;
}

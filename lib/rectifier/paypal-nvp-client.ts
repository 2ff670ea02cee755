/**
 * A small client for PayPal's classic NVP API (Express Checkout): one form-encoded POST per
 * call to the endpoint (`https://api-3t.paypal.com/nvp`, sandbox `api-3t.sandbox.paypal.com`),
 * with the USER/PWD/SIGNATURE credentials and VERSION in the body, answered in the same
 * encoding. PayPal publishes no Node SDK for NVP, so this is node's fetch with the transport
 * rules of processor-http.ts: unreachable, timeout or 502/503/504 → ProcessorUnavailableError;
 * another 5xx or 429 → ProcessorTemporaryError when its body is an NVP answer, else (a page from in
 * front of PayPal's API) ProcessorUnavailableError; another non-2xx → ProcessorResponseError.
 *
 * An answer with ACK=Failure is returned, not thrown, so that each call decides what its error
 * codes mean; only the codes that mean the same for every call are thrown here: 10002 (bad
 * credentials, PayPalAuthenticationError) and 10001 (internal error, temporary).
 * Credentials are never logged and never in error texts.
 */
import { ConfigError } from '../errors';
import { redactText } from '../redact';
import { PayPalAuthenticationError } from './paypal-common';
import { ProcessorResponseError } from './processor-adapter';
import { httpFailureError, httpFailureKind, ProcessorTemporaryError, ProcessorUnavailableError } from './processor-http';

export interface PayPalNvpOptions {
  /** The NVP endpoint, e.g. https://api-3t.paypal.com/nvp. */
  url: string;
  user?: string;
  password?: string;
  signature?: string;
  /** NVP API version sent as VERSION. */
  version: string;
  timeoutMs: number;
}

/** An NVP answer: every field as PayPal sent it. */
export type NvpAnswer = Record<string, string>;

/** The first error of a Failure answer (`L_ERRORCODE0`…), without donor data. */
export interface NvpFailure {
  code: string;
  shortMessage: string;
  longMessage: string;
}

/** Security header is not valid: our credentials are wrong for every call. */
const AUTHENTICATION_FAILED = '10002';
/** Internal Error: PayPal's side, try again later. */
const INTERNAL_ERRORS = new Set(['10001']);

/** True when PayPal accepted the call (warnings included). */
export function nvpSucceeded(answer: NvpAnswer): boolean {
  return answer.ACK === 'Success' || answer.ACK === 'SuccessWithWarning';
}

/** The first error of a failed answer, its texts shortened and redacted, for error messages. */
export function nvpFailure(answer: NvpAnswer): NvpFailure {
  return {
    code: answer.L_ERRORCODE0 ?? 'none',
    shortMessage: redactText(answer.L_SHORTMESSAGE0 ?? '').slice(0, 200),
    longMessage: redactText(answer.L_LONGMESSAGE0 ?? '').slice(0, 300),
  };
}

/** Parses a form-encoded NVP answer into its fields. */
export function parseNvp(text: string): NvpAnswer {
  return Object.fromEntries(new URLSearchParams(text));
}

export class PayPalNvpClient {
  private readonly credentials: { USER: string; PWD: string; SIGNATURE: string };

  constructor(private readonly options: PayPalNvpOptions) {
    const missing = (
      [
        ['PAYPAL_NVP_USER', options.user],
        ['PAYPAL_NVP_PASSWORD', options.password],
        ['PAYPAL_NVP_SIGNATURE', options.signature],
      ] as const
    ).filter(([, value]) => !value);
    if (missing.length > 0) throw new ConfigError(missing.map(([name]) => `${name}: required by the paypal-nvp adapter`));
    this.credentials = { USER: options.user!, PWD: options.password!, SIGNATURE: options.signature! };
  }

  /** Where calls go, without query (for error texts). */
  get origin(): string {
    const url = new URL(this.options.url);
    return `${url.protocol}//${url.host}${url.pathname}`;
  }

  /**
   * Sends one NVP call and returns its answer whatever its ACK, after the transport rules
   * above and the call-independent error codes have been applied.
   */
  async call(method: string, params: Record<string, string>): Promise<NvpAnswer> {
    const body = new URLSearchParams({ ...this.credentials, VERSION: this.options.version, METHOD: method, ...params });
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/x-www-form-urlencoded' },
        body: body.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      // fetch's errors may come from another realm (test runners): read them by shape, not class.
      const err = (error ?? {}) as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
      const cause = err.cause?.code;
      const reason =
        err.name === 'TimeoutError' || err.name === 'AbortError'
          ? `no answer within ${this.options.timeoutMs} ms`
          : `${typeof err.message === 'string' ? err.message : 'request failed'}${typeof cause === 'string' ? ` (${cause})` : ''}`;
      throw new ProcessorUnavailableError(`PayPal NVP at ${this.origin} is unreachable (${method}): ${reason}`, { cause: error });
    }
    const text = await response.text().catch(() => '');
    const answer = parseNvp(text);
    if (!response.ok) {
      const kind = httpFailureKind(response.status, text === '' || typeof answer.ACK === 'string');
      throw httpFailureError(kind, kind === 'unavailable' ? `PayPal NVP at ${this.origin} is unavailable (${method}, HTTP ${response.status})` : `PayPal NVP ${method}: HTTP ${response.status}`);
    }
    if (typeof answer.ACK !== 'string') throw new ProcessorResponseError(`PayPal NVP ${method}: answer has no ACK`);
    if (!nvpSucceeded(answer)) {
      const failure = nvpFailure(answer);
      if (failure.code === AUTHENTICATION_FAILED) {
        throw new PayPalAuthenticationError(`PayPal NVP ${method}: credentials refused (${failure.code} ${failure.shortMessage})`);
      }
      if (INTERNAL_ERRORS.has(failure.code)) {
        throw new ProcessorTemporaryError(`PayPal NVP ${method}: ${failure.code} ${failure.shortMessage} (temporary)`);
      }
    }
    return answer;
  }
}

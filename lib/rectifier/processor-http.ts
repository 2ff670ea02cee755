/**
 * The HTTP JSON transport adapters share: node's global fetch with a timeout, and the status rule
 * every adapter applies to a processor's failed answer (`httpFailureKind`), status first, then the
 * body. A processor that cannot be reached (network failure, timeout) or answers 502/503/504 is
 * an InfrastructureError: the run stops and the row stays. Any other 5xx, or a 429, is the
 * processor failing this one request when its API answered it (its own error body): a
 * ProcessorTemporaryError (retryable), and the row waits in `damaged` for a retry; when the body
 * is not the API's (a load balancer's or proxy's HTML page) something in front of the processor
 * answered, for every request alike: unavailable too. Any other non-2xx answer is the processor
 * refusing this payment: a ProcessorResponseError, and the row goes to `damaged` for a person.
 */
import { InfrastructureError, RetryableError } from '../errors';
import { parseJsonObject } from '../json-object';
import { redactText } from '../redact';
import { ProcessorResponseError } from './processor-adapter';

/** The processor could not be reached or is temporarily down. */
export class ProcessorUnavailableError extends InfrastructureError {}

export interface ProcessorHttpOptions {
  baseUrl: string;
  timeoutMs: number;
  /** Sent as a bearer token when set; never logged. */
  apiKey?: string;
}

export interface JsonAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** The processor failed this request but may answer it later; its other requests still work. */
export class ProcessorTemporaryError extends RetryableError {}

/**
 * The processor is still handling an earlier attempt of this idempotent request (same key): its
 * outcome is not known yet, and sending the request again later answers it without acting twice.
 */
export class RequestInProgressError extends ProcessorTemporaryError {}

/** What a processor's failed HTTP answer means for the row (see the header). */
export type HttpFailureKind = 'unavailable' | 'temporary' | 'refused';

const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);

/**
 * The kind of failure an answer with `status` is, by the rule in the header. `processorAnswered`:
 * the body is in the processor API's own format (JSON, or NVP for PayPal's classic API); an empty
 * body counts as the API's. Adapters that know more (credentials refused, a request still in
 * progress) decide those statuses before asking.
 */
export function httpFailureKind(status: number, processorAnswered: boolean): HttpFailureKind {
  if (UNAVAILABLE_STATUSES.has(status)) return 'unavailable';
  if (status >= 500 || status === 429) return processorAnswered ? 'temporary' : 'unavailable';
  return 'refused';
}

/** True when an answer's text is JSON (any value) or empty: what a JSON API answers, not a proxy's page. */
export function isJsonAnswer(text: string): boolean {
  if (text === '') return true;
  const parsed = parseJsonObject(text);
  return parsed.ok || parsed.problem !== 'not-json';
}

/** The error class of a failure kind, with `message` (which names no credentials or donor data). */
export function httpFailureError(kind: HttpFailureKind, message: string, options?: { cause?: unknown }): ProcessorUnavailableError | ProcessorTemporaryError | ProcessorResponseError {
  if (kind === 'unavailable') return new ProcessorUnavailableError(message, options);
  if (kind === 'temporary') return new ProcessorTemporaryError(`${message} (temporary)`, options);
  return new ProcessorResponseError(message, options);
}

/** A small client bound to one processor's base URL. */
export class ProcessorHttp {
  constructor(private readonly options: ProcessorHttpOptions) {}

  /** Where this client sends requests, without credentials or query (for error texts). */
  get origin(): string {
    const url = new URL(this.options.baseUrl);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}`;
  }

  /**
   * Sends one request and returns a JSON answer with any status in `accept` (2xx always; a
   * status that is an outage or a temporary failure is never accepted). Throws
   * ProcessorUnavailableError, ProcessorTemporaryError or ProcessorResponseError as described above.
   */
  async request(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>, accept: number[] = []): Promise<JsonAnswer> {
    const url = `${this.options.baseUrl.replace(/\/$/, '')}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      // fetch's errors may come from another realm (test runners): read them by shape, not class.
      const err = (error ?? {}) as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
      const cause = err.cause?.code;
      const message = typeof err.message === 'string' ? err.message : 'request failed';
      const reason =
        err.name === 'TimeoutError' || err.name === 'AbortError'
          ? `no answer within ${this.options.timeoutMs} ms`
          : `${message}${typeof cause === 'string' ? ` (${cause})` : ''}`;
      throw new ProcessorUnavailableError(`payment processor at ${this.origin} is unreachable: ${reason}`, { cause: error });
    }
    const text = await response.text().catch(() => '');
    // An empty answer, or JSON that is not an object, reads as {}: only text that is not JSON is not the API's.
    const json = isJsonAnswer(text);
    const parsed = json && text !== '' ? parseJsonObject(text) : undefined;
    const answer = parsed?.ok ? parsed.value : {};
    const failure = response.ok ? undefined : httpFailureKind(response.status, json);
    if (failure === 'unavailable') {
      throw httpFailureError(failure, `payment processor at ${this.origin} is unavailable (HTTP ${response.status}${json ? '' : ', answer is not JSON'})`);
    }
    if (failure !== undefined && !(failure === 'refused' && accept.includes(response.status))) {
      const reason = typeof answer.error === 'string' ? redactText(answer.error).slice(0, 500) : json ? 'no reason given' : 'answer is not JSON';
      throw httpFailureError(failure, `${method} ${path}: processor answered HTTP ${response.status}: ${reason}`);
    }
    if (!json) throw new ProcessorResponseError(`${method} ${path.split('/')[1] ?? ''}: answer is not JSON (HTTP ${response.status})`);
    return { status: response.status, body: answer };
  }
}

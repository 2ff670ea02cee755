/**
 * The HTTP JSON transport adapters share: node's global fetch with a timeout. A processor that
 * cannot be reached (network failure, timeout, 502/503/504) is an InfrastructureError: the run
 * stops and the row stays. A 500 or 429 is the processor failing this one request, not refusing
 * the payment: a ProcessorTemporaryError (retryable), and the row waits in `damaged` for a retry.
 * Any other non-2xx answer is the processor refusing this payment: a ProcessorResponseError, and
 * the row goes to `damaged` for a person.
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

const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);
const TEMPORARY_STATUSES = new Set([429, 500]);

/** A small client bound to one processor's base URL. */
export class ProcessorHttp {
  constructor(private readonly options: ProcessorHttpOptions) {}

  /** Where this client sends requests, without credentials or query (for error texts). */
  get origin(): string {
    const url = new URL(this.options.baseUrl);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}`;
  }

  /**
   * Sends one request and returns a JSON answer with any status in `accept` (2xx always).
   * Throws ProcessorUnavailableError or ProcessorResponseError as described above.
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
    if (UNAVAILABLE_STATUSES.has(response.status)) {
      throw new ProcessorUnavailableError(`payment processor at ${this.origin} is unavailable (HTTP ${response.status})`);
    }
    // An empty answer, or JSON that is not an object, reads as {}: only text that is not JSON is refused.
    const parsed = text === '' ? null : parseJsonObject(text);
    if (parsed?.ok === false && parsed.problem === 'not-json') {
      throw new ProcessorResponseError(`${method} ${path.split('/')[1] ?? ''}: answer is not JSON (HTTP ${response.status})`);
    }
    const answer = parsed?.ok ? parsed.value : {};
    if (!response.ok && !accept.includes(response.status)) {
      const reason = typeof answer.error === 'string' ? redactText(answer.error).slice(0, 500) : 'no reason given';
      if (TEMPORARY_STATUSES.has(response.status)) {
        throw new ProcessorTemporaryError(`${method} ${path}: processor answered HTTP ${response.status} (temporary): ${reason}`);
      }
      throw new ProcessorResponseError(`${method} ${path}: processor answered HTTP ${response.status}: ${reason}`);
    }
    return { status: response.status, body: answer };
  }
}

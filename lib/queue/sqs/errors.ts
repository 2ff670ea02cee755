/**
 * Translates AWS SDK failures into the queue contract's errors, so that callers never see an
 * SDK type: a rejected receipt is a StaleReceiptError, a request SQS refuses for its content is
 * a QueueUsageError, everything else (network, throttling, 5xx) is a QueueUnavailableError.
 * Texts name the operation and SQS's error code only: never a message body.
 */
import { QueueUnavailableError, QueueUsageError, StaleReceiptError } from '../errors';

/** SQS error codes that mean "this receipt no longer holds a lease". */
const STALE_RECEIPT_CODES = new Set(['MessageNotInflight', 'ReceiptHandleIsInvalid', 'InvalidReceiptHandle']);

/** Client-side request errors that retrying cannot fix. */
const USAGE_CODES = new Set([
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'MissingParameter',
  'InvalidMessageContents',
  'InvalidAttributeValue',
  'InvalidAttributeName',
  'QueueDoesNotExist',
  'NonExistentQueue',
  'QueueNameExists',
  'BatchEntryIdsNotDistinct',
  'TooManyEntriesInBatchRequest',
  'BatchRequestTooLong',
  'EmptyBatchRequest',
  'UnsupportedOperation',
  'InvalidAction',
]);

interface SdkLikeError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * The SQS error code of an SDK error, without the query protocol's `AWS.SimpleQueueService.`
 * prefix (the SDK reports either form, depending on the x-amzn-query-error header).
 */
export function sqsErrorCode(error: unknown): string {
  const e = (error ?? {}) as SdkLikeError;
  const named = e.name && e.name !== 'Error' ? e.name : undefined;
  return normaliseCode(named ?? e.Code ?? e.code ?? 'UnknownError');
}

/** Strips the query protocol prefix from an error code (batch entries' `Code` included). */
export function normaliseCode(code: string): string {
  return code.replace(/^AWS\.SimpleQueueService\./, '');
}

/** True when the error code says the receipt's lease is gone. */
export function isStaleReceipt(code: string): boolean {
  return STALE_RECEIPT_CODES.has(normaliseCode(code));
}

/** Maps an SDK rejection of `operation` on `queue` to the contract's error classes. */
export function toQueueError(error: unknown, operation: string, queue: string): Error {
  if (error instanceof QueueUnavailableError || error instanceof QueueUsageError || error instanceof StaleReceiptError) return error;
  const code = sqsErrorCode(error);
  if (isStaleReceipt(code)) return new StaleReceiptError(`${operation} on ${queue}: the receipt no longer holds a lease (${code})`, { cause: error });
  const e = (error ?? {}) as SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  if (USAGE_CODES.has(code) || (e.$fault === 'client' && status !== undefined && status !== 403 && status !== 429 && status < 500 && code !== 'ThrottlingException' && code !== 'RequestThrottled' && code !== 'OverLimit')) {
    return new QueueUsageError(`${operation} on ${queue} was refused by SQS (${code})`, { cause: error });
  }
  return new QueueUnavailableError(`${operation} on ${queue} failed: SQS unavailable (${code})`, { cause: error });
}

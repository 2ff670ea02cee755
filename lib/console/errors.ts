/**
 * What an operator's request can get wrong. Each is a PermanentError (repeating the same request
 * cannot help) carrying the HTTP status the web console answers with; the CLI prints the
 * message and exits non-zero. Messages never contain donor data.
 */
import { PermanentError } from '../errors';

/** A console request that cannot be carried out as asked. */
export abstract class ConsoleRequestError extends PermanentError {
  abstract readonly status: number;
}

/** The queue is not one the console manages (the pipelines' configured queue names and DEAD_LETTER_QUEUES). */
export class UnknownQueueError extends ConsoleRequestError {
  readonly status = 404;
}

/** The gateway is not one the rectifier settles (RECTIFY_ORPHANS_GATEWAYS, else RECTIFY_ADAPTERS). */
export class UnknownGatewayError extends ConsoleRequestError {
  readonly status = 404;
}

/** No damaged row (or other record) with that id. */
export class RecordNotFoundError extends ConsoleRequestError {
  readonly status = 404;
}

/** A destructive action's typed confirmation did not match what it acts on. */
export class ConfirmationMismatchError extends ConsoleRequestError {
  readonly status = 400;
}

/** An edited (or stored) message is not valid for its queue's wire format; the text names the rule. */
export class InvalidMessageEditError extends ConsoleRequestError {
  readonly status = 422;
}

/** A bulk action's rows differ from those its dry run showed: run the dry run again. */
export class StaleDryRunError extends ConsoleRequestError {
  readonly status = 409;
}

/** A search or form value is not usable (a bad date, a page below 1). */
export class InvalidConsoleInputError extends ConsoleRequestError {
  readonly status = 400;
}

/** No valid session, bearer token or JWT identity. */
export class NotSignedInError extends ConsoleRequestError {
  readonly status = 401;
}

/** A mutating request without the CSRF token of its session. */
export class CsrfTokenError extends ConsoleRequestError {
  readonly status = 403;
}

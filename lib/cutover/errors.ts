/** Failures of the cutover (docs/architecture.md §13), typed by what the operator does next. */
import { InfrastructureError, PermanentError } from '../errors';

/** The legacy broker (or another legacy channel) does not answer: nothing moved is lost; run again. */
export class LegacyBrokerUnavailableError extends InfrastructureError {}

/** A legacy channel could not be read at all (an unreadable directory, memcached down). */
export class LegacyChannelUnavailableError extends InfrastructureError {}

/**
 * A bridge run ended with messages seen at the source that neither the target nor `damaged`
 * holds: the invocation fails (an alarm) and the report names the channels.
 */
export class CutoverUnaccountedError extends PermanentError {}

/** Failures specific to contribution tracking; each extends the shared taxonomy in lib/errors.ts. */
import { InfrastructureError, MalformedMessageError, PermanentError } from '../errors';

/** A tracking message violates the wire format (docs/architecture.md §5); the text names the field, never its value. */
export class MalformedTrackingMessageError extends MalformedMessageError {}

/**
 * A message gives a contribution tracking id a different `contribution_id` than it already has,
 * or claims a contribution that belongs to another tracking id. A person has to decide.
 */
export class ContributionIdConflictError extends PermanentError {
  constructor(
    readonly trackingId: number,
    readonly existingContributionId: number,
    readonly newContributionId: number,
    readonly owner: number = trackingId,
  ) {
    super(
      owner === trackingId
        ? `contribution_id conflict for contribution tracking id ${trackingId}: it already has contribution_id ${existingContributionId}, the message says ${newContributionId}`
        : `contribution_id conflict for contribution tracking id ${trackingId}: contribution_id ${newContributionId} already belongs to contribution tracking id ${owner}`,
    );
  }
}

/**
 * A batch's contribution_id claim met the same contribution_id claimed for another tracking id by
 * a writer of another partition that committed first (the unique key refused it). The batch is
 * rolled back and written again (transaction.ts), its claim check then seeing the other's; only
 * a batch that keeps losing such races ends with it, and is released like one that lost lock races.
 */
export class ContributionClaimRaceError extends InfrastructureError {}

/** The id sequence in Redis has no value (never seeded, or Redis lost its data): allocating would collide. */
export class IdSequenceNotSeededError extends InfrastructureError {}

/** A reference rates file is not in the ECB's eurofxref format; the text names what, never more than a short excerpt. */
export class MalformedRatesFileError extends PermanentError {}

/**
 * Seeding the contribution tracking id sequence (id-sequence.ts) above the highest id the
 * database knows: what the consumer does at the start of every run and `npm run
 * tracking:seed-ids` does on demand. Apart from the sequence itself, which needs Redis only.
 */
import type { Redis } from 'ioredis';
import { max } from 'drizzle-orm';
import type { Pool } from 'mysql2/promise';
import { drizzleOn } from '../db/client';
import { contributionTracking, contributionTrackingEvent } from '../db/schema';
import { withDatabase } from '../db/transaction';
import { seedTrackingIdSequence } from './id-sequence';

/** The highest contribution tracking id in the summary or the event log (0 when both are empty). */
export async function highestKnownTrackingId(pool: Pool): Promise<number> {
  const db = drizzleOn(pool);
  return withDatabase('read the highest contribution tracking id', async () => {
    const [summary] = await db.select({ highest: max(contributionTracking.id) }).from(contributionTracking);
    const [events] = await db.select({ highest: max(contributionTrackingEvent.contributionTrackingId) }).from(contributionTrackingEvent);
    return Math.max(summary?.highest ?? 0, events?.highest ?? 0);
  });
}

/** Seeds the sequence above everything the database holds. */
export async function seedTrackingIdSequenceFromDatabase(redis: Redis, pool: Pool, key: string): Promise<number> {
  return seedTrackingIdSequence(redis, key, await highestKnownTrackingId(pool));
}

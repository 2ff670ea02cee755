/**
 * The contribution tracking id sequence: a Redis counter (INCR), seeded above the highest id
 * the database knows so that new ids never collide with existing rows.
 *
 * Allocation refuses to run on a missing counter (never seeded, or Redis lost its data):
 * INCR would start again at 1 and hand out ids that already exist. The consumer reseeds at
 * the start of every run (id-sequence-seed.ts reads the floor from the database), and seeding
 * only ever raises the counter. This module needs Redis only, so that the endpoint's bundle
 * carries no database code.
 */
import type { Redis } from 'ioredis';
import { InfrastructureError, toError } from '../errors';
import { IdSequenceNotSeededError } from './errors';

const ALLOCATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOTSEEDED contribution tracking id sequence is not seeded')
end
return redis.call('INCR', KEYS[1])`;

const SEED = `
local stored = redis.call('GET', KEYS[1])
local floor = tonumber(ARGV[1])
local current = tonumber(stored or '0')
if not stored or current < floor then
  redis.call('SET', KEYS[1], ARGV[1])
  return floor
end
return current`;

/** Redis could not be asked for an id. */
export class IdSequenceUnavailableError extends InfrastructureError {}

/** Hands out the next contribution tracking id. */
export async function allocateTrackingId(redis: Redis, key: string): Promise<number> {
  let reply: unknown;
  try {
    reply = await redis.eval(ALLOCATE, 1, key);
  } catch (error) {
    if (toError(error).message.startsWith('NOTSEEDED')) {
      throw new IdSequenceNotSeededError('the contribution tracking id sequence is not seeded; run the consumer or the seed command first');
    }
    throw new IdSequenceUnavailableError(`could not allocate a contribution tracking id: ${toError(error).name}`, { cause: error });
  }
  return Number(reply);
}

/** Raises the sequence to at least `floor` (never lowers it); resolves with its value. */
export async function seedTrackingIdSequence(redis: Redis, key: string, floor: number): Promise<number> {
  try {
    return Number(await redis.eval(SEED, 1, key, String(floor)));
  } catch (error) {
    throw new IdSequenceUnavailableError(`could not seed the contribution tracking id sequence: ${toError(error).name}`, { cause: error });
  }
}

/** Settings of `npm start` (the local run), from the environment. */
import { defineConfig, env } from '../../lib/config';

export const localRunConfig = defineConfig({
  /** How long the traffic generator produces. */
  LOCAL_RUN_SECONDS: env.int(30, { min: 1, max: 3600 }).describe('how long the traffic generator produces'),
  /** Messages per second per kind (donor journeys, banner events, landing page events). */
  LOCAL_RUN_RATE: env.int(20, { min: 1, max: 2000 }).describe('messages per second per kind'),
  /** Longest wait, once the traffic stops, for every queue and topic to drain. */
  LOCAL_RUN_DRAIN_SECONDS: env.int(60, { min: 1, max: 3600 }).describe('longest wait for every queue and topic to drain'),
  /** The whole run gives up (and says so) after this long. */
  LOCAL_RUN_TIMEOUT_SECONDS: env.int(300, { min: 10, max: 86_400 }).describe('the whole run gives up after this long'),
  /** Pause between two invocations of one function driven by the run (seconds). */
  LOCAL_RUN_TICK_SECONDS: env.int(2, { min: 0, max: 60 }).describe('pause between two invocations of one scheduled function'),
  /** The run's own database on the stack's MariaDB server: dropped and migrated at each start. */
  LOCAL_RUN_DATABASE: databaseName().describe('the run\'s own database, dropped and migrated at each start'),
  /** The run's own Redis logical database (its queues are purged at each start; nothing else is touched). */
  LOCAL_RUN_REDIS_DB: env.int(11, { min: 0, max: 15 }).describe('the run\'s own Redis logical database'),
  /** The service file serverless-offline loads (relative to the repository). */
  LOCAL_RUN_SERVERLESS_CONFIG: env.string('serverless.yml').describe('the service file serverless-offline loads'),
  /** Where serverless-offline's whole output goes (relative to the repository); kept after the run. */
  LOCAL_RUN_OFFLINE_LOG: env.string('.local-stack/last-run/offline.log').describe('where serverless-offline\'s output goes (kept after the run)'),
});

function databaseName() {
  return env.string('buffer_local').refine((name) => /^[A-Za-z0-9_]{1,64}$/.test(name), 'must be letters, digits and _ (at most 64)');
}

export type LocalRunConfig = ReturnType<typeof localRunConfig>;

/**
 * Settings of the cutover from the legacy broker and pending channels (docs/architecture.md §13).
 * Defaults point at the local stack; the legacy Redis defaults to the queues' own server, where
 * the legacy frontends kept their `*-cc-limbo` sets.
 */
import * as z from 'zod';
import { defineConfig, env } from '../config';

/** `legacy:target` pairs, comma-separated: the ActiveMQ queue and the queue that replaces it. */
const channelPairs = z
  .string()
  .default('pending:pending,payments-init:payments-init,donations:donations')
  .transform((value, context) => {
    const pairs: Array<{ legacy: string; target: string }> = [];
    for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const match = /^([A-Za-z0-9_.-]+):([A-Za-z0-9_.:-]+)$/.exec(item);
      if (!match) {
        context.addIssue({ code: 'custom', message: 'must be legacy:target queue pairs, comma-separated (e.g. pending:pending)' });
        return z.NEVER;
      }
      pairs.push({ legacy: match[1]!, target: match[2]! });
    }
    if (pairs.length === 0) {
      context.addIssue({ code: 'custom', message: 'must name at least one legacy:target pair' });
      return z.NEVER;
    }
    return pairs;
  });

export const cutoverConfig = defineConfig({
  CUTOVER_STOMP_URL: env.url(['stomp', 'tcp'], 'stomp://127.0.0.1:61613').describe('the legacy ActiveMQ broker\'s STOMP connector'),
  CUTOVER_STOMP_LOGIN: env.string().optional().describe('STOMP login at the legacy broker (unset: none)'),
  CUTOVER_STOMP_PASSCODE: env.string().optional().describe('STOMP passcode at the legacy broker (a secret; unset: none)'),
  CUTOVER_CHANNELS: channelPairs.describe('`legacy:target` pairs: each legacy ActiveMQ queue and the queue that replaces it'),
  /** Unacknowledged messages the broker sends ahead: one batch of pushes. */
  CUTOVER_BATCH_SIZE: env.int(500, { min: 1, max: 5000 }).describe('legacy messages moved per target push (and the STOMP prefetch)'),
  CUTOVER_DRAIN_IDLE_MS: env.int(3000, { min: 100, max: 600_000 }).describe('a drain ends once a channel has sent nothing for this long'),
  CUTOVER_BROKER_RETRY_SECONDS: env.int(180, { min: 0, max: 3600 }).describe('how long a drain or bridge keeps reconnecting to a legacy broker that went away before it fails'),
  CUTOVER_BRIDGE_TIME_LIMIT_SECONDS: env.limit(50).describe('cutover-bridge run length, seconds (0: no limit); `npm run cutover -- bridge` runs until Ctrl-C or `--seconds`'),
  CUTOVER_LEDGER_PREFIX: env.string('cutover').describe('prefix of the Redis keys that record what each channel moved (resume, report)'),
  CUTOVER_LEGACY_REDIS_URL: env.url(['redis', 'rediss'], 'redis://127.0.0.1:6379').describe('the legacy Redis holding the `*-cc-limbo` sorted sets'),
  CUTOVER_LIMBO_KEY_PATTERN: env.string('*-cc-limbo').describe('SCAN pattern of the legacy limbo sorted sets; the gateway is the key without `-cc-limbo`'),
  CUTOVER_MEMCACHED_SERVERS: env.string('127.0.0.1:11211').describe('the legacy memcached servers (`host:port`, comma-separated)'),
  CUTOVER_MEMCACHED_KEY_PREFIX: env.string('limbo:').describe('prefix of the legacy memcached limbo keys'),
  CUTOVER_INFLIGHT_DIR: env.string('/var/spool/donations/inflight').describe('the legacy in-flight directory of JSON files'),
});

export type CutoverConfig = ReturnType<typeof cutoverConfig>;

/**
 * What the impressions loader reads from the environment. Defaults point at the local stack.
 *
 * Topics come in two lists because the two kinds of event are loaded differently:
 * - IMPRESSIONS_BANNER_TOPICS: `topic:factor` items; each counted banner event adds `factor`
 *   to its cell's legacy `count`. A missing factor means 1, and so does the default: the legacy
 *   loader added 1 per event of the unsampled stream (100 / N only for `sampledN` log files), so
 *   the analysts' series continues unchanged. The client-side `impressionEventSampleRate` goes
 *   into `estimated_count` instead, never into `count` (docs/architecture.md §7.3).
 * - IMPRESSIONS_LANDING_PAGE_TOPICS: topic names; each donatewiki landing page event becomes
 *   one raw row (landing page events are not sampled).
 */
import * as z from 'zod';
import { defineConfig, env } from '../config';
import { ConfigError } from '../errors';

export type ImpressionKind = 'banner' | 'landingpage';

/** One topic the loader consumes, with what its events are and how much each one counts. */
export interface ImpressionTopic {
  topic: string;
  kind: ImpressionKind;
  /**
   * Legacy sampling factor: what one counted banner event adds to `count` (1 for the unsampled
   * stream; 100 / N for a legacy `sampledN` log file, which need not be a whole number).
   */
  factor: number;
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,191}$/;

/** Factor of a banner topic listed without one, and of the default topic: one per event, as the legacy loader counted the stream. */
export const DEFAULT_BANNER_FACTOR = 1;
const DEFAULT_BANNER_TOPIC = 'centralnotice-impressions';

const bannerTopics = z
  .string()
  // Without a factor: the topic counts DEFAULT_BANNER_FACTOR per event.
  .default(DEFAULT_BANNER_TOPIC)
  .transform((value, ctx) => {
    const topics: ImpressionTopic[] = [];
    for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [topic = '', factorText, ...rest] = item.split(':');
      const factor = factorText === undefined ? DEFAULT_BANNER_FACTOR : Number(factorText);
      if (!TOPIC_NAME.test(topic) || rest.length > 0 || !Number.isInteger(factor) || factor < 1) {
        ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of topic:factor items (factor a whole number >= 1)' });
        return z.NEVER;
      }
      topics.push({ topic, kind: 'banner', factor });
    }
    return topics;
  });

const landingPageTopics = z
  .string()
  .default('landingpage-impressions')
  .transform((value, ctx) => {
    const topics: ImpressionTopic[] = [];
    for (const topic of value.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!TOPIC_NAME.test(topic)) {
        ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of topic names' });
        return z.NEVER;
      }
      topics.push({ topic, kind: 'landingpage', factor: 1 });
    }
    return topics;
  });

/** The loader's variables; validated once per process. */
export const impressionsConfig = defineConfig({
  /** Bootstrap servers of the Kafka cluster, comma-separated host:port. */
  KAFKA_BROKERS: env.list(['127.0.0.1:9092']).describe('bootstrap servers, comma-separated host:port'),
  KAFKA_CLIENT_ID: env.string('buffer-layer-impressions').describe('Kafka client id'),
  /** Consumer group; also the key of the offsets stored with the counts. */
  IMPRESSIONS_CONSUMER_GROUP: env.string('impressions-loader').describe('consumer group; also keys the offsets stored with the counts'),
  IMPRESSIONS_BANNER_TOPICS: bannerTopics.describe(`\`topic[:legacy sampling factor]\` list of banner topics (factor ${DEFAULT_BANNER_FACTOR} when omitted)`),
  IMPRESSIONS_LANDING_PAGE_TOPICS: landingPageTopics.describe('landing page topics (not sampled)'),
  /** Seconds the scheduled loader consumes before it leaves the group and returns. */
  IMPRESSIONS_TIME_LIMIT_SECONDS: env.int(50, { min: 1, max: 900 }).describe('seconds a scheduled load-impressions run consumes'),
  /** Where a partition with no stored offset starts: its oldest retained event or new events only. */
  IMPRESSIONS_START_FROM: env.oneOf(['earliest', 'latest'] as const, 'earliest').describe('where a partition with no stored offset starts'),
  /** Kafka group session timeout: how soon the partitions of a crashed loader move on. */
  IMPRESSIONS_SESSION_TIMEOUT_MS: env.int(30_000, { min: 1000, max: 300_000 }).describe('Kafka group session timeout'),
  /** How often Kafka is told the consumer's position (the database's stored offsets are authoritative). */
  IMPRESSIONS_KAFKA_COMMIT_INTERVAL_MS: env.int(5000, { min: 0, max: 600_000 }).describe('how often Kafka is told the position (the stored offsets are authoritative)'),
  /** Transactions one process runs at once, each on partitions of its own (each needs a database connection). */
  IMPRESSIONS_PARTITIONS_CONCURRENTLY: env.int(1, { min: 1, max: 16 }).describe('impressions transactions at once, each on its own partitions (one database connection each)'),
  /** How many invalid events a process logs in full detail (afterwards one in a thousand). */
  IMPRESSIONS_INVALID_LOG_SAMPLE: env.int(20, { min: 0 }).describe('invalid events logged in full per process (then one in a thousand)'),
});

export type ImpressionsConfig = ReturnType<typeof impressionsConfig>;

/** Every topic the loader consumes, banner topics first. */
export function configuredTopics(config: Pick<ImpressionsConfig, 'IMPRESSIONS_BANNER_TOPICS' | 'IMPRESSIONS_LANDING_PAGE_TOPICS'>): ImpressionTopic[] {
  const topics = [...config.IMPRESSIONS_BANNER_TOPICS, ...config.IMPRESSIONS_LANDING_PAGE_TOPICS];
  const names = new Set<string>();
  for (const { topic } of topics) {
    if (names.has(topic)) throw new ConfigError([`IMPRESSIONS_BANNER_TOPICS / IMPRESSIONS_LANDING_PAGE_TOPICS: topic ${topic} is configured twice`]);
    names.add(topic);
  }
  return topics;
}

/**
 * `npm run backfill:impressions -- [--topic NAME] [--factor N] [--group NAME] FILE...`
 *
 * Replays files of impression events (JSON lines, the legacy log format, gzip or plain)
 * through the loader's effectively-once path. `--topic` names a configured topic whose kind
 * applies; without it the kind is taken from the file name (`centralnotice-impressions*` or
 * `landingpage-impressions*`). A banner file counts as the legacy loader counted it: 100 / N
 * per event when its name says `sampledN`, else the topic's factor; `--factor` overrides both.
 * A file loaded before is skipped line for line; `--group` starts a separate record to load it
 * again.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { capabilityDatabaseUrl, coreConfig } from '../lib/config';
import { openDatabase } from '../lib/db/client';
import { backfillFile } from '../lib/impressions/backfill-reader';
import { ImpressionsLoader } from '../lib/impressions/batch-commit';
import { configuredTopics, impressionsConfig, type ImpressionTopic } from '../lib/impressions/config';
import { log } from '../lib/log';

function topicFor(file: string, topics: ImpressionTopic[], name?: string): ImpressionTopic {
  let topic: ImpressionTopic | undefined;
  if (name) {
    topic = topics.find((t) => t.topic === name);
    if (!topic) throw new Error(`--topic ${name} is not a configured topic (${topics.map((t) => t.topic).join(', ')})`);
  } else {
    const base = path.basename(file);
    const kind = base.startsWith('centralnotice') ? 'banner' : base.startsWith('landingpage') ? 'landingpage' : undefined;
    topic = kind && topics.find((t) => t.kind === kind);
    if (!topic) throw new Error(`cannot tell the kind of ${base} from its name: pass --topic`);
  }
  return topic;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { topic: { type: 'string' }, factor: { type: 'string' }, group: { type: 'string' } },
  });
  if (positionals.length === 0) {
    process.stderr.write('usage: npm run backfill:impressions -- [--topic NAME] [--factor N] [--group NAME] FILE...\n');
    return 2;
  }
  const factor = values.factor === undefined ? undefined : Number(values.factor);
  if (factor !== undefined && (!Number.isInteger(factor) || factor < 1)) throw new Error('--factor must be a whole number >= 1');
  const config = impressionsConfig();
  const topics = configuredTopics(config);
  const database = openDatabase(capabilityDatabaseUrl(coreConfig(), 'impressions'));
  const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, invalidLogSample: config.IMPRESSIONS_INVALID_LOG_SAMPLE });
  try {
    for (const file of positionals) {
      const summary = await backfillFile(loader, file, { topic: topicFor(file, topics, values.topic), factor, consumerGroup: values.group });
      log.info(summary, 'impressions file loaded');
    }
  } finally {
    await database.close();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log.fatal({ err: error }, 'impressions backfill failed');
    process.exit(1);
  },
);

/**
 * A long-running impressions loader for the crash tests and the benchmark: the scheduled
 * function's code path with no time limit, configured from the environment like the
 * function, stopping cleanly on SIGTERM. Run with `node --import tsx <this file>`.
 */
import { coreConfig } from '../../lib/config';
import { openDatabase } from '../../lib/db/client';
import { ImpressionsLoader } from '../../lib/impressions/batch-commit';
import { impressionsConfig } from '../../lib/impressions/config';
import { createKafkaClient } from '../../lib/impressions/kafka-client';
import { consumeImpressions, consumeOptionsFromConfig } from '../../lib/impressions/kafka-consumer-loop';

async function main(): Promise<void> {
  const config = impressionsConfig();
  const database = openDatabase(coreConfig().DATABASE_URL, { connectionLimit: 4 });
  const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, invalidLogSample: 0 });
  const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID });
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  try {
    const summary = await consumeImpressions({ kafka, loader, ...consumeOptionsFromConfig(config), timeLimitMs: 0, signal: stop.signal });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await database.close();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

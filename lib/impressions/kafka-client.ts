/**
 * The kafkajs client of the impressions loader, with kafkajs's own log lines sent through
 * the project logger (JSON, central redaction) instead of the console.
 */
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { log as rootLog, type Logger } from '../log';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
}

/** Creates the client; connections open lazily, when a consumer or producer connects. */
export function createKafkaClient({ brokers, clientId, logger }: KafkaClientOptions): Kafka {
  const target = (logger ?? rootLog).child({ component: 'kafkajs' });
  return new Kafka({
    brokers,
    clientId,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...fields } = entry.log;
      const record = { namespace: entry.namespace, ...fields };
      if (entry.level <= logLevel.ERROR) target.error(record, message);
      else if (entry.level === logLevel.WARN) target.warn(record, message);
      else if (entry.level === logLevel.INFO) target.info(record, message);
      else target.debug(record, message);
    },
  });
}

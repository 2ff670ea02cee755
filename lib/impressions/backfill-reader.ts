/**
 * Backfill: replays a file of JSON lines (the legacy log format, gzip or plain) through the
 * same effectively-once batch commit as Kafka. The file stands in for a partition: its name
 * is the topic, line numbers are the offsets, so replaying a file again (or after a crash
 * halfway) applies only the lines not applied yet.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { PermanentError } from '../errors';
import { truncateChars } from '../truncate';
import type { ImpressionsLoader, RawMessage } from './batch-commit';
import type { ImpressionTopic } from './config';

export const BACKFILL_CONSUMER_GROUP = 'backfill';

export interface BackfillOptions {
  /** Kind of the file's events, and the sampling factor of a banner file whose name gives none. */
  topic: ImpressionTopic;
  /** A sampling factor that overrides the file name's (`--factor`). */
  factor?: number;
  /** Lines per transaction (default 5000). */
  batchSize?: number;
  /** Offset-store group; a different group replays a file that was loaded before. */
  consumerGroup?: string;
}

export interface BackfillSummary {
  file: string;
  lines: number;
  applied: number;
  counted: number;
  ignored: number;
  invalid: number;
}

/** Reads `file` line by line; gzip is recognised by its magic bytes, not by the name. */
export async function* readLines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file);
  const stream = (await isGzip(file)) ? input.pipe(createGunzip()) : input;
  input.on('error', (error) => stream.destroy(error));
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    input.destroy();
  }
}

/** A legacy log file name whose `sampledN` is not a percentage the legacy loader accepted. */
export class SampleRateInFileNameError extends PermanentError {}

// The legacy loader's rule (FRUEC `extract_sample_rate_regex`): the digits after `sampled`,
// followed by a non-digit, e.g. `centralnotice-impressions-sampled10-20180705-214501.log`.
const SAMPLED = /(?<=sampled)\d+(?=\D)/;

/**
 * The legacy sampling factor a banner log file's name gives: `sampledN` means the file holds N%
 * of the events, so each one counts 100 / N (FRUEC: `100 / file.sample_rate`, N in 1..100).
 * Null when the name has no `sampledN`.
 */
export function fileSamplingFactor(file: string): number | null {
  const match = SAMPLED.exec(path.basename(file));
  if (!match) return null;
  const percent = Number(match[0]);
  if (!(percent >= 1 && percent <= 100)) throw new SampleRateInFileNameError(`sample rate ${percent} in a file name is not a percentage from 1 to 100`);
  return 100 / percent;
}

/**
 * Loads one file; resolves once every line has been applied (or had been before). A banner
 * file counts with, in order: `options.factor`, the factor of its `sampledN` name, the topic's.
 */
export async function backfillFile(loader: ImpressionsLoader, file: string, options: BackfillOptions): Promise<BackfillSummary> {
  const batchSize = options.batchSize ?? 5000;
  const factor = options.topic.kind === 'banner' ? (options.factor ?? fileSamplingFactor(file) ?? options.topic.factor) : options.topic.factor;
  const source = { consumerGroup: options.consumerGroup ?? BACKFILL_CONSUMER_GROUP, topic: { ...options.topic, factor, topic: backfillSourceName(file) } };
  const summary: BackfillSummary = { file, lines: 0, applied: 0, counted: 0, ignored: 0, invalid: 0 };
  let batch: RawMessage[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await loader.applyBatch({ ...source, partition: 0, messages: batch }, { onGap: 'accept' });
    summary.applied += result.applied;
    summary.counted += result.counted;
    summary.ignored += result.ignored;
    summary.invalid += result.invalid;
    batch = [];
  };
  for await (const line of readLines(file)) {
    const offset = summary.lines++;
    if (line.trim() === '') continue;
    batch.push({ offset, value: line });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return summary;
}

/** The offset-store "topic" of a file: its base name (legacy log names are unique per period). */
export function backfillSourceName(file: string): string {
  // 191 characters: the offset store's key column (VARCHAR, counted in code points).
  return truncateChars(`file:${path.basename(file)}`, 191);
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

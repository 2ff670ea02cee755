/**
 * The one rule for cutting an ordered list into batches a limit allows: consecutive chunks, in
 * order, each of at most `maxSize` by `sizeOf` and at most `maxCount` items, and never empty (an
 * item larger than `maxSize` alone makes a chunk of its own). Used where a batch must fit what
 * its receiver takes: an SQS SendMessageBatch, one statement's worth of a consumer's batch.
 */
export function consecutiveChunks<T>(items: readonly T[], sizeOf: (item: T) => number, maxSize: number, maxCount = Infinity): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const itemSize = sizeOf(item);
    if (current.length > 0 && (current.length >= maxCount || size + itemSize > maxSize)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += itemSize;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

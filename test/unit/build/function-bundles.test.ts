/**
 * A handler opens only the clients its job uses (docs/architecture.md §2), and its bundle shows
 * it: a function whose job needs no database carries no database driver, one that needs no Redis
 * carries no Redis client. Built the way serverless-esbuild builds a stage on Redis.
 */
import { build } from 'esbuild';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/** The npm packages a function's bundle holds. */
async function bundledPackages(handler: string): Promise<Set<string>> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'functions', `${handler}.ts`)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
    define: { 'process.env.BUNDLED_QUEUE_BACKEND': '"redis"' },
  });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) packages.add(match[1]!);
  }
  return packages;
}

describe('function bundles', () => {
  jest.setTimeout(60_000);

  it('should keep the database driver out of track-contribution, whose job uses Redis and the queue only', async () => {
    const packages = await bundledPackages('track-contribution');

    expect(packages.has('ioredis')).toBe(true);
    expect([...packages].filter((name) => ['mysql2', 'drizzle-orm'].includes(name))).toEqual([]);
  });

  it('should keep Redis and the AWS SDK out of load-impressions, whose job uses Kafka and the database only', async () => {
    const packages = await bundledPackages('load-impressions');

    expect(packages.has('kafkajs')).toBe(true);
    expect([...packages].filter((name) => name === 'ioredis' || name.startsWith('@aws-sdk/'))).toEqual([]);
  });

  it('should give cutover-bridge its STOMP client and keep Kafka and the AWS SDK out of it', async () => {
    const packages = await bundledPackages('cutover-bridge');

    expect(['@stomp/stompjs', '@stomp/tcp-wrapper', 'ioredis', 'mysql2'].filter((name) => packages.has(name))).toEqual(['@stomp/stompjs', '@stomp/tcp-wrapper', 'ioredis', 'mysql2']);
    expect([...packages].filter((name) => name === 'kafkajs' || name === 'memjs' || name.startsWith('@aws-sdk/'))).toEqual([]);
  });

  it('should keep the AWS SDK out of a Redis stage consumer', async () => {
    const packages = await bundledPackages('consume-pending');

    expect(packages.has('mysql2')).toBe(true);
    expect([...packages].filter((name) => name.startsWith('@aws-sdk/'))).toEqual([]);
  });
});

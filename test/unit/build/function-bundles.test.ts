/**
 * A handler opens only the clients its job uses (docs/architecture.md §2), and its bundle shows
 * it: a function whose job needs no database carries no database driver, one that needs no queue
 * carries no queue scripts. Every function carries the Redis client: the runtime records each
 * invocation there for the console (§10). Built the way serverless-esbuild builds a stage on Redis.
 */
import { build } from 'esbuild';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/** The npm packages a function's bundle holds, and the project's own files (`files`). */
async function bundledPackages(handler: string): Promise<Set<string> & { files: string[] }> {
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
  // What the output holds after tree shaking (the inputs list every file read).
  const output = Object.values(result.metafile.outputs)[0]!;
  const files = Object.entries(output.inputs).filter(([input, { bytesInOutput }]) => bytesInOutput > 0 && !input.includes('node_modules')).map(([input]) => input);
  const packages = Object.assign(new Set<string>(), { files });
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

  it('should keep the queue and the AWS SDK out of load-impressions, whose job uses Kafka and the database only, Redis serving only its invocation figures', async () => {
    const packages = await bundledPackages('load-impressions');

    expect(packages.has('kafkajs')).toBe(true);
    expect([...packages].filter((name) => name.startsWith('@aws-sdk/'))).toEqual([]);
    expect(packages.has('ioredis')).toBe(true);
    expect(packages.files).toContain('lib/runtime/clients/invocation-recorder.ts');
    expect(packages.files.filter((file) => file.startsWith('lib/queue/redis/lua') || file.startsWith('lib/queue/partitions'))).toEqual([]);
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

/**
 * Private Redis servers for tests and benchmarks that must not share the machine's Redis:
 * restarts, persistence, script-cache flushes, clusters, clean memory figures. Each server
 * listens on a free loopback port, keeps its files in its own temporary directory, and is
 * killed (and its directory removed) on `stop()` or, at the latest, when the process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, freePorts } from './process';

const REDIS_SERVER = process.env.TEST_REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
const REDIS_CLI = process.env.TEST_REDIS_CLI_BIN ?? '/usr/bin/redis-cli';
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 15_000;

export interface RedisServerOptions {
  /** Append-only file with fsync on every write, so that acknowledged writes survive a restart or a kill. */
  persistence?: boolean;
  /** Extra `redis-server` arguments, e.g. ['--maxmemory', '100mb']. */
  args?: string[];
}

export interface RestartOptions {
  /** SIGKILL instead of a clean SHUTDOWN: a crash rather than a maintenance restart. */
  kill?: boolean;
  /** Stay down this long before starting again (clients see connection errors meanwhile). */
  downMs?: number;
  /**
   * Runs once the server is down, and the server starts again only when it has settled (then
   * `downMs` more): what a test does against a stopped server happens while it is stopped,
   * however slowly a busy machine runs it.
   */
  whileDown?: () => Promise<void>;
}

export interface PrivateRedisServer {
  url: string;
  host: string;
  port: number;
  /** The server's data directory (AOF, RDB), kept across restarts. */
  dir: string;
  /** Stops the server and starts it again on the same port, with the same directory. */
  restart(options?: RestartOptions): Promise<void>;
  /** Kills the server and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

export interface PrivateRedisReplica extends PrivateRedisServer {
  /**
   * Resolves once the replica's link to its primary is up, the initial sync done, and the
   * primary lists it online (so that WAIT counts it); needed again after a restart.
   */
  waitInSync(): Promise<void>;
}

export interface ClusterNode {
  host: string;
  port: number;
}

export interface PrivateRedisCluster {
  nodes: ClusterNode[];
  /** Kills every node and removes their directories; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a private redis-server; resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<PrivateRedisServer> {
  return startServer('redis-test-', [], options);
}

/**
 * Starts a private redis-server replicating `primary` (`--replicaof`), with its own port and
 * directory, and resolves once it is in sync (see waitInSync). `primary` must be a private server
 * too: its diskless-sync delay is set to 0 (CONFIG SET), or every full sync would wait the
 * default 5 s for more replicas to come.
 */
export async function startRedisReplica(
  primary: { host: string; port: number },
  options: RedisServerOptions = {},
): Promise<PrivateRedisReplica> {
  const configured = await command(primary.port, ['CONFIG', 'SET', 'repl-diskless-sync-delay', '0']);
  if (configured !== 'OK') throw new Error(`primary on port ${primary.port} refused CONFIG SET: ${configured}`);
  const server = await startServer('redis-replica-test-', ['--replicaof', primary.host, String(primary.port)], options);
  const replica: PrivateRedisReplica = {
    ...server,
    async waitInSync() {
      await waitFor(async () => {
        const own = await command(server.port, ['INFO', 'replication']);
        if (!own.includes('master_link_status:up') || !own.includes('master_sync_in_progress:0')) return false;
        const primaryInfo = await command(primary.port, ['INFO', 'replication']);
        return new RegExp(`^slave\\d+:ip=[^,]+,port=${server.port},state=online`, 'm').test(primaryInfo);
      }, `replica on port ${server.port} to be in sync with port ${primary.port}`);
    },
  };
  try {
    await replica.waitInSync();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return replica;
}

async function startServer(prefix: string, roleArgs: string[], options: RedisServerOptions): Promise<PrivateRedisServer> {
  const dir = makeDir(prefix);
  const port = await freePort();
  const args = [
    '--bind', HOST,
    '--port', String(port),
    '--dir', dir,
    '--save', '',
    '--appendonly', options.persistence ? 'yes' : 'no',
    ...(options.persistence ? ['--appendfsync', 'always'] : []),
    ...roleArgs,
    ...(options.args ?? []),
  ];
  let server: ServerProcess | undefined;
  try {
    server = await launch(args, port);
  } catch (error) {
    removeDir(dir);
    throw error;
  }
  let stopped = false;
  return {
    url: `redis://${HOST}:${port}`,
    host: HOST,
    port,
    dir,
    async restart({ kill = false, downMs = 0, whileDown }: RestartOptions = {}) {
      if (stopped) throw new Error('restart() after stop()');
      if (server) await server.halt(kill);
      server = undefined;
      try {
        await whileDown?.();
        if (downMs > 0) await sleep(downMs);
      } finally {
        server = await launch(args, port);
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (server) await server.halt(true);
      server = undefined;
      removeDir(dir);
    },
  };
}

/**
 * Starts `masters` cluster-enabled redis-servers without replicas, joins them with
 * `redis-cli --cluster create`, and resolves once every node reports cluster_state:ok.
 */
export async function startRedisCluster(masters = 3): Promise<PrivateRedisCluster> {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const nodes: ClusterNode[] = [];
  const stop = async () => {
    await Promise.all(servers.splice(0).map((s) => s.halt(true)));
    for (const dir of dirs.splice(0)) removeDir(dir);
  };
  try {
    for (let i = 0; i < masters; i += 1) {
      const dir = makeDir('redis-cluster-test-');
      dirs.push(dir);
      // The cluster bus needs a second port; Redis 7 takes it explicitly (the default port+10000 may be taken or > 65535).
      const [port, busPort] = (await freePorts(2)) as [number, number];
      const args = [
        '--bind', HOST,
        '--port', String(port),
        '--cluster-enabled', 'yes',
        '--cluster-port', String(busPort),
        '--cluster-config-file', join(dir, 'nodes.conf'),
        '--cluster-node-timeout', '5000',
        '--dir', dir,
        '--save', '',
        '--appendonly', 'no',
      ];
      servers.push(await launch(args, port));
      nodes.push({ host: HOST, port });
    }
    await run(REDIS_CLI, ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(async () => {
      const infos = await Promise.all(nodes.map((n) => command(n.port, ['CLUSTER', 'INFO'])));
      return infos.every((info) => info.includes('cluster_state:ok'));
    }, 'cluster_state:ok on every node');
    return { nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface ServerProcess {
  /** Stops the process (SIGKILL, or SHUTDOWN NOSAVE then wait) and resolves once it has exited. */
  halt(kill: boolean): Promise<void>;
}

const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();

/** A fresh temporary directory, removed on stop or at the latest when the process exits. */
function makeDir(prefix: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  liveDirs.add(dir);
  return dir;
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test runner exits without running afterAll: no orphan servers.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

async function launch(args: string[], port: number): Promise<ServerProcess> {
  installExitHook();
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  try {
    await waitFor(async () => {
      if (hasExited) throw new Error(`redis-server exited during startup on port ${port}: ${output.trim()}`);
      // LOADING replies (-LOADING) while an AOF is replayed: wait for +PONG.
      return (await command(port, ['PING'], 500)) === 'PONG';
    }, `redis-server on port ${port} to answer PING`);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return {
    async halt(kill) {
      if (hasExited) return;
      if (kill) {
        child.kill('SIGKILL');
      } else {
        // The connection drops when the server exits: the reply never comes, which is fine.
        await command(port, ['SHUTDOWN', 'NOSAVE'], 2000).catch(() => undefined);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
        return;
      }
      await exited;
    },
  };
}

/**
 * Sends one command over a fresh connection and returns the reply as text: simple strings,
 * errors (prefixed with '-') and bulk strings. Enough for PING, INFO, CLUSTER INFO, SHUTDOWN.
 */
export function command(port: number, args: string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${args[0]} from port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (error: Error | null, value?: string) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value!);
    };
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error(`connection to port ${port} closed before a reply to ${args[0]}`)));
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const reply = parseReply(data);
      if (reply !== undefined) finish(null, reply);
    });
  });
}

function parseReply(data: string): string | undefined {
  const lineEnd = data.indexOf('\r\n');
  if (lineEnd < 0) return undefined;
  const head = data.slice(0, lineEnd);
  if (head[0] === '+') return head.slice(1);
  if (head[0] === '-') return head;
  if (head[0] === ':') return head.slice(1);
  if (head[0] === '$') {
    const length = Number(head.slice(1));
    if (length < 0) return '';
    const body = Buffer.from(data.slice(lineEnd + 2));
    return body.length >= length + 2 ? body.subarray(0, length).toString() : undefined;
  }
  return head;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('redis-server exited')) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? ` (last: ${lastError.message})` : ''}`);
    }
    await sleep(25);
  }
}

function run(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${bin} ${args.join(' ')} exited with ${code}: ${output.slice(-2000)}`));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A private memcached for the cutover's tests and the local stack (Debian's `memcached`): a
 * free loopback port, TCP only, nothing kept on disk, gone when stopped. The legacy frontends
 * kept "limbo" copies of pending donations in memcached; the cutover importer reads them.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { findExecutable, freePort, spawnWithWatchdog, stopDaemon, waitUntil } from './process';
import { ServiceMissingError, type StackService } from './types';

const HOST = '127.0.0.1';

export interface PrivateMemcached {
  /** `127.0.0.1:<port>`, as CUTOVER_MEMCACHED_SERVERS takes it. */
  server: string;
  port: number;
  /** Stops the server; its keys are gone. Safe to call twice. */
  stop(): Promise<void>;
}

/** True when memcached at host:port answers `version` within a second. */
export function memcachedAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => socket.write('version\r\n'));
    socket.once('data', (chunk) => done(chunk.toString().startsWith('VERSION')));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Starts a private memcached and resolves once it answers. */
export async function startMemcached(): Promise<PrivateMemcached> {
  const binary = findExecutable('memcached');
  if (!binary) throw new ServiceMissingError('memcached', 'apt-get install memcached (scripts/ensure-system-deps.sh)');
  const port = await freePort();
  // memcached refuses to run as root unless told which user to be.
  const user = process.getuid?.() === 0 ? ['-u', os.userInfo().username] : [];
  const child: ChildProcess = spawnWithWatchdog(binary, ['-l', HOST, '-p', String(port), '-U', '0', '-m', '64', ...user]);
  try {
    await waitUntil('memcached', () => memcachedAnswers(HOST, port), child, 15_000);
  } catch (error) {
    await stopDaemon(child);
    throw error;
  }
  return { server: `${HOST}:${port}`, port, stop: () => stopDaemon(child) };
}

/** memcached for the local stack: CUTOVER_MEMCACHED_SERVERS when it answers; else a private server. */
export const memcachedService: StackService = {
  name: 'memcached',
  async start({ env, log }) {
    const configured = env.CUTOVER_MEMCACHED_SERVERS;
    if (configured) {
      const [host, port] = configured.split(',')[0]!.split(':');
      if (await memcachedAnswers(host!, Number(port) || 11211)) {
        return { name: 'memcached', env: { CUTOVER_MEMCACHED_SERVERS: configured }, private: false, stop: async () => undefined };
      }
    }
    const server = await startMemcached();
    log(`memcached: ${configured ? `${configured} is not reachable; ` : ''}started a private memcached on ${server.server}`);
    return { name: 'memcached', env: { CUTOVER_MEMCACHED_SERVERS: server.server }, private: true, stop: () => server.stop() };
  },
};

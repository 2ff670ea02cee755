/**
 * MariaDB for the local stack: the configured DATABASE_URL's server when it accepts a
 * connection; else a private `mariadbd` (data directory made by `mariadb-install-db`) on a free
 * loopback port, root without password; else what to install. The database named in the URL
 * is kept (migrations create it).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { findExecutable, freePort, runToCompletion, startDaemon, stopDaemon, waitUntil } from './process';
import { ServiceMissingError, type StackService } from './types';

const DEFAULT_URL = 'mysql://root@127.0.0.1:3306/buffer_local';

/** True when the server of `url` accepts a connection and answers a ping within two seconds. */
export async function mariadbReachable(url: string): Promise<boolean> {
  const server = new URL(url);
  server.pathname = '/';
  try {
    const connection = await mysql.createConnection({ uri: server.toString(), connectTimeout: 2000 });
    try {
      await connection.ping();
      return true;
    } finally {
      await connection.end();
    }
  } catch {
    return false;
  }
}

export const mariadbService: StackService = {
  name: 'mariadb',
  async start({ workDir, env, log }) {
    const configured = env.DATABASE_URL || DEFAULT_URL;
    if (await mariadbReachable(configured)) {
      return { name: 'mariadb', env: { DATABASE_URL: configured }, private: false, stop: async () => undefined };
    }
    const server = await startPrivateMariadb({ dir: path.join(workDir, 'mariadb'), log, reason: `${redactedServer(configured)} is not reachable` });
    const target = new URL(configured);
    target.host = `127.0.0.1:${server.port}`;
    target.username = 'root';
    target.password = '';
    return { name: 'mariadb', env: { DATABASE_URL: target.toString() }, private: true, stop: () => server.halt() };
  },
};

/** A private mariadbd that can be stopped and started again on its port and data directory. */
export interface PrivateMariadb {
  port: number;
  /** `mysql://root@127.0.0.1:<port>/` (no database). */
  url: string;
  /** Stops the server (SIGTERM: InnoDB shuts down cleanly) and waits for it; the data directory stays. */
  halt(): Promise<void>;
  /** Starts the server again on the same port and data directory; resolves once it answers. */
  resume(): Promise<void>;
}

/**
 * Starts a private `mariadbd` (data directory made by `mariadb-install-db` in `dir`) on a free
 * loopback port, root without password, with `args` added to mariadbd's command line. Throws
 * ServiceMissingError when MariaDB is not installed.
 */
export async function startPrivateMariadb({ dir, log, reason, args: extraArgs = [] }: { dir: string; log: (line: string) => void; reason?: string; args?: string[] }): Promise<PrivateMariadb> {
  const server = findExecutable('mariadbd', 'mysqld');
  const installDb = findExecutable('mariadb-install-db', 'mysql_install_db');
  if (!server || !installDb) throw new ServiceMissingError('mariadb', 'apt-get install mariadb-server');
  const port = await freePort();
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const user = os.userInfo().username;
  log(`mariadb: ${reason ? `${reason}; ` : ''}starting a private mariadbd on 127.0.0.1:${port}`);
  runToCompletion(installDb, [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--user=${user}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${path.join(dir, 'mariadbd.sock')}`,
    `--pid-file=${path.join(dir, 'mariadbd.pid')}`,
    `--log-error=${path.join(dir, 'error.log')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--user=${user}`,
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=64M',
    ...extraArgs,
  ];
  const url = `mysql://root@127.0.0.1:${port}/`;
  let child: ChildProcess | undefined;
  const resume = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const started = startDaemon(server, args);
    child = started;
    try {
      await waitUntil('mariadbd', () => mariadbReachable(url), started, 60_000);
    } catch (error) {
      await stopDaemon(started);
      throw error;
    }
  };
  await resume();
  return {
    port,
    url,
    resume,
    halt: async () => {
      if (child) await stopDaemon(child, 30_000);
    },
  };
}

/** The host part of a URL, for messages: passwords never appear in logs. */
function redactedServer(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '3306'}`;
}

/**
 * A private ActiveMQ broker for the cutover's tests and the local stack: Debian's `activemq`
 * package run straight from its jar (no init script, no systemd, not the package's `main`
 * instance), with its own configuration and KahaDB data under a directory of its own, and one
 * STOMP connector on a free loopback port. The data survives `restart`, so a broker killed
 * with SIGKILL comes back with what it had persisted, like the legacy broker after a crash.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, spawnWithWatchdog, waitUntil } from './process';
import { ServiceMissingError, type StackService } from './types';

/** The jar Debian's package installs (it links to /usr/share/java/activemq-run.jar). */
export const ACTIVEMQ_JAR = '/usr/share/activemq/bin/activemq.jar';
const ACTIVEMQ_HOME = '/usr/share/activemq';
const HOST = '127.0.0.1';
/** The JVM starts slowly on a busy 2-core machine: 20 s is usual, a minute is possible. */
const START_TIMEOUT_MS = 120_000;

export interface PrivateActiveMq {
  /** `stomp://127.0.0.1:<port>`. */
  url: string;
  host: string;
  port: number;
  /** The broker's base directory: configuration in `conf/`, KahaDB in `data/`. */
  dir: string;
  /** Stops the broker (SIGKILL: a crash; otherwise SIGTERM, a clean stop) and starts it again on the same port and data. */
  restart(options?: { kill?: boolean }): Promise<void>;
  /** Stops the broker and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** The broker configuration: persistent KahaDB, no JMX, no web console, STOMP only on loopback. */
function brokerXml(dir: string, port: number): string {
  return `<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" brokerName="cutover-test" dataDirectory="${dir}/data" schedulerSupport="false" advisorySupport="false">
    <persistenceAdapter><kahaDB directory="${dir}/data/kahadb"/></persistenceAdapter>
    <transportConnectors><transportConnector name="stomp" uri="stomp://${HOST}:${port}?transport.closeAsync=false"/></transportConnectors>
  </broker>
</beans>
`;
}

/** True when Debian's activemq package is installed. */
export function activeMqInstalled(): boolean {
  return existsSync(ACTIVEMQ_JAR);
}

/** True when a STOMP CONNECT to `port` is answered with CONNECTED within a second. */
export function stompAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => socket.write('CONNECT\naccept-version:1.2\nhost:localhost\n\n\0'));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\0')) done(data.startsWith('CONNECTED'));
    });
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

function launch(dir: string): ChildProcess {
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin/java') : 'java';
  return spawnWithWatchdog(java, [
    '-Xms64m', '-Xmx256m',
    `-Dactivemq.home=${ACTIVEMQ_HOME}`, `-Dactivemq.base=${dir}`, `-Dactivemq.conf=${dir}/conf`, `-Dactivemq.data=${dir}/data`,
    '-jar', ACTIVEMQ_JAR, 'start', `xbean:file:${dir}/conf/activemq.xml`,
  ]);
}

/** Kills the watchdog's whole process group (the shell and the JVM) with `signal` and waits for the shell. */
async function halt(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
  const hard = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 15_000);
  await exited;
  clearTimeout(hard);
  // The JVM may outlive the shell by a moment: wait until the port is closed.
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/**
 * Starts a private broker in `parentDir` (a fresh temporary directory by default) and resolves
 * once its STOMP connector answers CONNECT.
 */
export async function startActiveMq(options: { parentDir?: string } = {}): Promise<PrivateActiveMq> {
  if (!activeMqInstalled()) throw new ServiceMissingError('activemq', 'apt-get install activemq (scripts/ensure-system-deps.sh)');
  const dir = options.parentDir ? path.join(options.parentDir, 'activemq') : mkdtempSync(path.join(tmpdir(), 'activemq-test-'));
  mkdirSync(path.join(dir, 'conf'), { recursive: true });
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const port = await freePort();
  writeFileSync(path.join(dir, 'conf/activemq.xml'), brokerXml(dir, port));
  let child = launch(dir);
  const ready = async () => waitUntil('activemq', () => stompAnswers(HOST, port), child, START_TIMEOUT_MS);
  try {
    await ready();
  } catch (error) {
    await halt(child, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    url: `stomp://${HOST}:${port}`,
    host: HOST,
    port,
    dir,
    async restart({ kill = false } = {}) {
      if (stopped) throw new Error('restart() after stop()');
      await halt(child, kill ? 'SIGKILL' : 'SIGTERM');
      child = launch(dir);
      await ready();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt(child, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * ActiveMQ for the local stack: the configured CUTOVER_STOMP_URL when it answers; else a
 * private broker; else what to install.
 */
export const activeMqService: StackService = {
  name: 'activemq',
  async start({ workDir, env, log }) {
    const configured = env.CUTOVER_STOMP_URL;
    if (configured) {
      const url = new URL(configured);
      if (await stompAnswers(url.hostname, Number(url.port) || 61613)) {
        return { name: 'activemq', env: { CUTOVER_STOMP_URL: configured }, private: false, stop: async () => undefined };
      }
    }
    const broker = await startActiveMq({ parentDir: workDir });
    log(`activemq: ${configured ? `${configured} is not reachable; ` : ''}started a private broker (Debian's activemq) on ${broker.url}`);
    return { name: 'activemq', env: { CUTOVER_STOMP_URL: broker.url }, private: true, stop: () => broker.stop() };
  },
};

/**
 * A private Kafka for tests and the local stack: the librdkafka mock cluster that Debian's
 * `kcat` embeds (a real Kafka-protocol broker set held in memory). It listens on random
 * 127.0.0.1 ports, auto-creates topics with 4 partitions on first use, and is gone when
 * stopped. Real deployments set KAFKA_BROKERS instead.
 *
 * kcat runs under a small `sh` watchdog that reads its own stdin: when this process ends in
 * any way, even SIGKILL, the pipe closes and the watchdog kills kcat, so no broker outlives
 * the test run that started it.
 */
import { spawn } from 'node:child_process';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import net from 'node:net';
import { findExecutable } from './process';
import { ServiceMissingError, type StackService } from './types';

export interface KafkaMock {
  /** Bootstrap servers, `127.0.0.1:PORT` each. */
  brokers: string[];
  /** Stops the mock cluster; its topics and offsets are gone. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartKafkaMockOptions {
  /** Number of mock brokers (default 3). */
  brokers?: number;
  /** How long to wait for the cluster to announce its ports (default 10 s). */
  startTimeoutMs?: number;
}

// kcat must consume something to stay up; this topic is never produced to.
const KEEPALIVE_TOPIC = '__kafka_mock_keepalive';
const WATCHDOG = [
  'kcat "$@" </dev/null >/dev/null & k=$!',
  'echo "kcat-pid=$k" >&2',
  'trap \'kill $k 2>/dev/null; wait $k; exit 0\' HUP INT TERM',
  'read _',
  'kill $k 2>/dev/null',
  'wait $k',
].join('\n');
const BOOTSTRAP = /(?:bootstrap\.servers=|replaced with )((?:127\.0\.0\.1:\d+,?)+)/;

/** Starts a mock cluster and resolves with its bootstrap servers once it listens. */
export async function startKafkaMock(options: StartKafkaMockOptions = {}): Promise<KafkaMock> {
  const brokerCount = options.brokers ?? 3;
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const child = spawn(
    'sh',
    ['-c', WATCHDOG, 'kafka-mock', '-b', '127.0.0.1:1', '-X', `test.mock.num.brokers=${brokerCount}`, '-q', '-C', '-t', KEEPALIVE_TOPIC, '-o', 'end'],
    // Its own process group: a Ctrl-C in the terminal must not stop the broker under a run
    // that is still summarising; the watchdog stops it when this process ends.
    { stdio: ['pipe', 'ignore', 'pipe'], detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let kcatPid: number | undefined;
  // Last resort when the watchdog itself does not answer: kill kcat directly.
  const killHard = () => {
    for (const pid of [kcatPid, child.pid]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  let stderr = '';
  const brokers = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`kcat mock cluster did not start within ${startTimeoutMs} ms: ${stderr.trim()}`)), startTimeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      child.stdin?.end();
      setTimeout(killHard, 1000).unref();
      reject(error);
    }
    child.stderr.on('data', (chunk: Buffer) => {
      // Keep reading to the end: a full stderr pipe would block the broker threads.
      if (stderr.length > 8000) return;
      stderr += chunk.toString();
      kcatPid ??= Number(/kcat-pid=(\d+)/.exec(stderr)?.[1]) || undefined;
      const match = BOOTSTRAP.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!.split(',').filter(Boolean));
      }
    });
    child.once('exit', (code) => fail(new Error(`kcat mock cluster exited with code ${code}: ${stderr.trim()}`)));
    child.once('error', (error) => fail(new Error(`cannot run kcat (install Debian's kcat package): ${error.message}`)));
  });

  let stopping: Promise<void> | undefined;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      const killTimer = setTimeout(killHard, 3000);
      await exited;
      clearTimeout(killTimer);
    })();
    return stopping;
  }

  return { brokers, stop };
}

/** True when a TCP connection to `broker` (host:port) opens within a second. */
async function brokerReachable(broker: string): Promise<boolean> {
  const { host, port } = parseBroker(broker);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

function parseBroker(broker: string): { host: string; port: number } {
  const at = broker.lastIndexOf(':');
  return { host: broker.slice(0, at).replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(broker.slice(at + 1)) || 9092 };
}

/**
 * Kafka for the local stack: the configured KAFKA_BROKERS when its first broker accepts a
 * connection; else a private mock cluster (kcat); else what to install.
 */
export const kafkaService: StackService = {
  name: 'kafka',
  async start({ env, log }) {
    const configured = (env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
    if (configured.length > 0 && (await brokerReachable(configured[0]!))) {
      return { name: 'kafka', env: { KAFKA_BROKERS: configured.join(',') }, private: false, stop: async () => undefined };
    }
    if (!findExecutable('kcat')) throw new ServiceMissingError('kafka', 'apt-get install kcat (its librdkafka mock cluster serves as Kafka)');
    const mock = await startKafkaMock();
    log(`kafka: ${configured.length ? `${configured[0]} is not reachable; ` : ''}started a private mock cluster (kcat) on ${mock.brokers.join(',')}`);
    return { name: 'kafka', env: { KAFKA_BROKERS: mock.brokers.join(',') }, private: true, stop: () => mock.stop() };
  },
};

/** A quiet kafkajs client for the producers and admin calls of tests, benchmarks and drills. */
export function quietKafkaClient(brokers: string[]): Kafka {
  return new Kafka({ brokers, clientId: 'test', logLevel: logLevel.NOTHING });
}

/**
 * Produces the values to explicit partitions, gzip-compressed in large batches. The mock
 * keeps only 5 MB per partition, so compression is what lets large tests keep every event.
 */
export async function produce(kafka: Kafka, topic: string, records: Array<{ partition: number; value: string }>, chunk = 10_000): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    for (let start = 0; start < records.length; start += chunk) {
      await producer.send({ topic, compression: CompressionTypes.GZIP, acks: -1, messages: records.slice(start, start + chunk) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Low and high watermarks per partition. */
export async function watermarks(kafka: Kafka, topic: string): Promise<Array<{ partition: number; low: number; high: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) })).sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

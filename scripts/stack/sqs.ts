/**
 * Starts a private SQS emulator (fauxqs) on 127.0.0.1 and creates the project's queues from
 * queues/definitions.json. fauxqs is ESM-only, so it runs in a child process (a small launcher
 * script) rather than inside this CommonJS process; tests and the local stack launcher share this.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { queueDefinitions } from '../../lib/queue/sqs/definitions';
import { createSqsClient } from '../../lib/queue/sqs/client';
import { provisionQueue } from '../../lib/queue/sqs/provision';
import type { StackService } from './types';

export interface SqsEmulator {
  endpoint: string;
  /** Stops the emulator process; its queues and messages are gone. */
  stop(): Promise<void>;
}

export interface StartSqsEmulatorOptions {
  /** 0 (default) picks a free port; 4566 is where LocalStack would listen. */
  port?: number;
  /** Queue name prefix for the project's queues (`local-` by default, as STAGE=local). */
  queuePrefix?: string;
  /** Create the project's queues from queues/definitions.json (default true). */
  createQueues?: boolean;
  region?: string;
  /** How long to wait for the emulator to answer. */
  startTimeoutMs?: number;
}

const LAUNCHER = path.join(__dirname, 'fauxqs-server.mjs');

/** Starts the emulator and resolves once it accepts requests and the queues exist. */
export async function startSqsEmulator(options: StartSqsEmulatorOptions = {}): Promise<SqsEmulator> {
  const region = options.region ?? 'us-east-1';
  const child = spawn(process.execPath, [LAUNCHER, String(options.port ?? 0)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, AWS_REGION: region },
    // Its own process group (a terminal's Ctrl-C reaches only the parent); the launcher stops
    // when its stdin closes, i.e. when this process ends.
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const endpoint = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`SQS emulator did not start within ${options.startTimeoutMs ?? 15000} ms`)), options.startTimeoutMs ?? 15000);
    function fail(error: Error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening (\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => fail(new Error(`SQS emulator exited with code ${code}: ${stderr.trim()}`)));
    child.once('error', fail);
  });

  async function stop() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killTimer);
  }

  if (options.createQueues ?? true) {
    const client = createSqsClient({ endpoint, region });
    try {
      for (const definition of queueDefinitions) {
        await provisionQueue(client, options.queuePrefix ?? 'local-', definition);
      }
    } catch (error) {
      await stop();
      throw error;
    } finally {
      client.destroy();
    }
  }
  return { endpoint, stop };
}

/** True when something answers HTTP at `endpoint` within two seconds (any status). */
async function endpointReachable(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * The SQS emulator for the local stack: the configured SQS_ENDPOINT when it answers; else a
 * private fauxqs on a free loopback port with the project's queues (`local-` prefix) created.
 */
export const sqsService: StackService = {
  name: 'sqs',
  async start({ env, log }) {
    const configured = env.SQS_ENDPOINT;
    if (configured && (await endpointReachable(configured))) {
      return { name: 'sqs', env: { SQS_ENDPOINT: configured }, private: false, stop: async () => undefined };
    }
    const emulator = await startSqsEmulator({ region: env.AWS_REGION ?? 'us-east-1' });
    log(`sqs: ${configured ? `${configured} is not reachable; ` : ''}started a private SQS emulator (fauxqs) on ${emulator.endpoint}`);
    return { name: 'sqs', env: { SQS_ENDPOINT: emulator.endpoint }, private: true, stop: () => emulator.stop() };
  },
};

/**
 * serverless-offline as a child process of the local run: every function of the service file
 * with its real triggers (schedules, the httpApi route), on free loopback ports, plus the
 * Lambda invoke endpoint through which the local run drives functions between schedule ticks.
 *
 * The functions' JSON log lines arrive on the child's stdout; `onLogRecord` gets each one
 * (the local run counts consumer runs from them). The child runs in its own process group,
 * so that stopping it also stops esbuild and anything else it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from '../stack/process';

const REPOSITORY = path.resolve(__dirname, '../..');
const SLS = path.join(REPOSITORY, 'node_modules/osls/bin/serverless.js');
const WATCHDOG = ['"$@" </dev/null & p=$!', "trap 'kill $p 2>/dev/null; wait $p; exit 0' HUP INT TERM", 'read _', 'kill $p 2>/dev/null', 'wait $p'].join('\n');

export interface OfflineOptions {
  /** The environment of the child (and, with --localEnvironment, of every handler). */
  env: Record<string, string | undefined>;
  stage: string;
  /** Another service file than serverless.yml (relative to the repository). */
  config?: string;
  startTimeoutMs?: number;
  /** Each JSON object a handler logged. */
  onLogRecord?: (record: Record<string, unknown>) => void;
  /** Each scheduled invocation serverless-offline reports (function key, success). */
  onScheduled?: (fn: string, ok: boolean) => void;
  /** Every line of the child's output goes to this file too (its directory is created). */
  logFile?: string;
}

export interface InvokeResult {
  ok: boolean;
  /** The handler's return value, or its error payload when `ok` is false. */
  payload: unknown;
  ms: number;
}

export interface Offline {
  /** http://127.0.0.1:PORT of the httpApi routes. */
  httpUrl: string;
  /** Function keys the service file defines, as serverless-offline lists them. */
  functions: string[];
  /** Schedules serverless-offline runs, per function key (cron expressions). */
  schedules: Record<string, string[]>;
  /** Invokes a function synchronously through the Lambda invoke endpoint; `signal` abandons the wait. */
  invoke(fn: string, options?: { event?: unknown; signal?: AbortSignal }): Promise<InvokeResult>;
  /** The child's last output lines, for error reports. */
  tail(): string[];
  stop(): Promise<void>;
}

/** Starts serverless-offline and resolves once its servers listen. */
export async function startOffline(options: OfflineOptions): Promise<Offline> {
  const [httpPort, lambdaPort, websocketPort, albPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const args = [
    SLS,
    'offline',
    'start',
    '--stage',
    options.stage,
    '--host',
    '127.0.0.1',
    '--httpPort',
    String(httpPort),
    '--lambdaPort',
    String(lambdaPort),
    '--websocketPort',
    String(websocketPort),
    '--albPort',
    String(albPort),
    '--localEnvironment',
    '--noPrependStageInUrl',
    ...(options.config ? ['--config', options.config] : []),
  ];
  // A watchdog shell that reads its stdin runs serverless-offline: when this process ends in any
  // way (even SIGKILL), the pipe closes and the watchdog stops it, so no offline outlives the run.
  const child = spawn('sh', ['-c', WATCHDOG, 'serverless-offline', process.execPath, ...args], {
    cwd: REPOSITORY,
    env: { ...options.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', FORCE_COLOR: '0', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C in the terminal reaches the local run, which stops it in order.
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  const functions = new Map<string, string>();
  const schedules: Record<string, string[]> = {};
  let sawScheduling = false;
  let serverReady = false;
  let lastLineAt = Date.now();

  if (options.logFile) mkdirSync(path.dirname(options.logFile), { recursive: true });
  const logFile = options.logFile ? createWriteStream(options.logFile) : undefined;
  const onLine = (line: string) => {
    logFile?.write(`${line}\n`);
    lastLineAt = Date.now();
    lines.push(line);
    if (lines.length > 200) lines.shift();
    const trimmed = line.trim();
    if (trimmed.startsWith('{')) {
      try {
        options.onLogRecord?.(JSON.parse(trimmed) as Record<string, unknown>);
        return;
      } catch {
        // not a log record after all
      }
    }
    const exposed = /^\* ([\w-]+): (\S+)$/.exec(trimmed);
    if (exposed) functions.set(exposed[1]!, exposed[2]!);
    const scheduling = /^Scheduling \[([\w-]+)\] cron: \[(.*)\]/.exec(trimmed);
    if (scheduling) {
      sawScheduling = true;
      (schedules[scheduling[1]!] ??= []).push(scheduling[2]!);
    }
    if (trimmed.startsWith('Server ready')) serverReady = true;
    const scheduled = /^(Successfully invoked|Failed to execute) scheduled function: \[([\w-]+)\]/.exec(trimmed);
    if (scheduled) options.onScheduled?.(scheduled[2]!, scheduled[1] === 'Successfully invoked');
  };
  readline.createInterface({ input: child.stdout! }).on('line', onLine);
  readline.createInterface({ input: child.stderr! }).on('line', onLine);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (logFile && !logFile.closed) await new Promise<void>((resolve) => logFile.end(resolve));
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  // Ready: the HTTP server announced itself, or (no http routes) the schedules are set and the
  // output has been quiet for a moment.
  while (!(serverReady || (sawScheduling && functions.size > 0 && Date.now() - lastLineAt > 1500))) {
    if (child.exitCode !== null) {
      throw new Error(`serverless-offline exited during start-up (code ${child.exitCode}):\n${lines.slice(-30).join('\n')}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`serverless-offline did not start within ${(options.startTimeoutMs ?? 120_000) / 1000} s:\n${lines.slice(-30).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const lambdaUrl = `http://127.0.0.1:${lambdaPort}`;
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    functions: [...functions.keys()],
    schedules,
    async invoke(fn, { event = {}, signal } = {}) {
      const name = functions.get(fn);
      if (!name) throw new Error(`the service file defines no function ${fn}`);
      const started = Date.now();
      const response = await fetch(`${lambdaUrl}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
        body: JSON.stringify(event),
        ...(signal ? { signal } : {}),
      });
      const text = await response.text();
      let payload: unknown = text;
      try {
        payload = JSON.parse(text);
      } catch {
        // keep the text
      }
      const failed =
        !response.ok ||
        response.headers.has('x-amz-function-error') ||
        (typeof payload === 'object' && payload !== null && 'errorMessage' in payload && 'errorType' in payload);
      return { ok: !failed, payload, ms: Date.now() - started };
    },
    tail: () => [...lines],
    stop,
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

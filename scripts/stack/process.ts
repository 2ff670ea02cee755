/** Helpers for private service instances: free loopback ports, child processes, readiness. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** A port that is free on 127.0.0.1 right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/** `count` distinct free loopback ports: every listener is held open until all are assigned, so no port comes twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.unref();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The path of an executable found on PATH or in the sbin folders; null when not installed. */
export function findExecutable(...names: string[]): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  return null;
}

/** Runs a command to completion; throws with its output when it fails. */
export function runToCompletion(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${path.basename(command)} failed (${result.status ?? result.signal}): ${(result.stderr || result.stdout).slice(-2000)}`);
  }
}

/**
 * Runs `command` under a shell watchdog that reads its stdin: when this process ends in any way
 * (even SIGKILL), the pipe closes and the watchdog stops the command. The child has its own
 * process group, so a Ctrl-C in the terminal reaches only this process, which stops it in order.
 * SIGTERM to the returned child stops the command and waits for it.
 */
export function spawnWithWatchdog(command: string, args: string[], options: { stdout?: 'ignore' | 'pipe'; stderr?: 'ignore' | 'pipe'; env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
  const watchdog = ['"$@" </dev/null & p=$!', "trap 'kill $p 2>/dev/null; wait $p; exit 0' HUP INT TERM", 'read _', 'kill $p 2>/dev/null', 'wait $p'].join('\n');
  const child = spawn('sh', ['-c', watchdog, path.basename(command), command, ...args], {
    stdio: ['pipe', options.stdout ?? 'ignore', options.stderr ?? 'ignore'],
    detached: true,
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  return child;
}

/** Starts a long-running server whose output goes nowhere; the stack stops it. */
export function startDaemon(command: string, args: string[]): ChildProcess {
  return spawnWithWatchdog(command, args);
}

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopDaemon(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls `probe` until it resolves true or `timeoutMs` passes (start-up only). */
export async function waitUntil(what: string, probe: () => Promise<boolean>, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited during start-up (code ${child.exitCode})`);
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
}

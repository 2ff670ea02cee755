/**
 * What the processor simulators share: listening on loopback (`listenOnLoopback`, every
 * simulator), running as a process of its own (`runStandalone`), and, for the Worldline and Adyen
 * simulators, a loopback HTTP(S) server (`serve`) that records every call it serves, injects
 * faults and latency per route from scenario data, and takes its scenario over a small control
 * API (for `sls invoke local` and the local stack):
 *
 *   PUT    /_simulator/scenario   body: the simulator's scenario (merged into the current one)
 *   GET    /_simulator/calls      → the recorded calls
 *   DELETE /_simulator            → forget scenario and calls
 *
 * Recorded calls never hold credentials: a simulator records who signed a request and whether
 * the signature was good, not the key.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fault for one route: answer this HTTP status (and body) instead, after a delay, `times` times (absent: always). */
export interface Fault {
  httpStatus?: number;
  body?: unknown;
  /** Answer this text as `text/html` instead of a JSON body: a load balancer's or proxy's error page in front of the API. */
  html?: string;
  latencyMs?: number;
  times?: number;
}

export interface RecordedCall {
  route: string;
  method: string;
  /** Path with the query string, as signed. */
  path: string;
  /** The credential id the request was made with (API key id, or `merchant account` for key auth), never a secret. */
  caller?: string;
  /** Whether the request's authentication checked out. */
  authenticated: boolean;
  /** The idempotency key header, when one was sent. */
  idempotencyKey?: string;
  body: unknown;
}

export interface SimulatorRequest {
  method: string;
  path: string;
  parts: string[];
  headers: IncomingMessage['headers'];
  text: string;
  body: unknown;
}

export interface Answer {
  status: number;
  body: unknown;
  /** Headers of the answer besides its content type. */
  headers?: Record<string, string>;
  /** Answer after this long (the time the processor takes to handle the request); a fault's latency takes precedence. */
  delayMs?: number;
}

export interface Route {
  name: string;
  method: string;
  /** Matches the path parts; returns the captured values or null. */
  match(parts: string[]): string[] | null;
}

/** A route matcher from a pattern such as `/v1/:merchant/payments/:id/approve`. */
export function route(name: string, method: string, pattern: string): Route {
  const want = pattern.split('/').filter(Boolean);
  return {
    name,
    method,
    match(parts) {
      if (parts.length !== want.length) return null;
      const captured: string[] = [];
      for (let i = 0; i < want.length; i++) {
        if (want[i]!.startsWith(':')) captured.push(parts[i]!);
        else if (want[i] !== parts[i]) return null;
      }
      return captured;
    },
  };
}

export interface ServeOptions<S> {
  port: number;
  tls?: { key: string; cert: string };
  routes: Route[];
  /** Authenticates a request: who made it, whether it checked out, the answer to send when not. */
  authenticate(request: SimulatorRequest): { caller?: string; ok: boolean; refusal?: Answer };
  /** Answers one authenticated call of a known route. */
  handle(routeName: string, params: string[], request: SimulatorRequest, caller: string | undefined): Answer;
  notFound(request: SimulatorRequest): Answer;
  /** The answer for an injected fault without a body of its own. */
  faultBody(status: number): unknown;
  scenario: { merge(update: S): void; reset(): void };
  faults: Map<string, Fault>;
}

export interface RunningServer {
  url: string;
  port: number;
  calls(): RecordedCall[];
  clearCalls(): void;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 (`port` 0: any free port). */
export async function serve<S>(options: ServeOptions<S>): Promise<RunningServer> {
  let calls: RecordedCall[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const fullPath = req.url ?? '/';
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        body = text;
      }
      const request: SimulatorRequest = {
        method: req.method ?? 'GET',
        path: fullPath,
        parts: fullPath.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent),
        headers: req.headers,
        text,
        body,
      };
      const send = ({ status, body: answer, headers, delayMs: handling = 0 }: Answer, delayMs = handling, html?: string) => {
        const write = () => {
          if (res.destroyed) return;
          res.writeHead(status, { ...headers, 'content-type': html === undefined ? 'application/json' : 'text/html' });
          res.end(html ?? (answer === undefined ? '' : JSON.stringify(answer)));
        };
        if (delayMs > 0) setTimeout(write, delayMs).unref();
        else write();
      };

      if (request.parts[0] === '_simulator') {
        if (request.method === 'GET' && request.parts[1] === 'calls') return send({ status: 200, body: calls });
        if (request.method === 'DELETE' && request.parts.length === 1) {
          options.scenario.reset();
          options.faults.clear();
          calls = [];
          return send({ status: 200, body: {} });
        }
        if (request.method === 'PUT' && request.parts[1] === 'scenario') {
          const update = (body ?? {}) as S & { faults?: Record<string, Fault> };
          for (const [name, fault] of Object.entries(update.faults ?? {})) options.faults.set(name, fault);
          options.scenario.merge(update);
          return send({ status: 200, body: {} });
        }
        return send({ status: 404, body: { error: 'unknown simulator command' } });
      }

      let matched: { route: Route; params: string[] } | undefined;
      for (const candidate of options.routes) {
        const params = candidate.method === request.method ? candidate.match(request.parts) : null;
        if (params) {
          matched = { route: candidate, params };
          break;
        }
      }
      const auth = options.authenticate(request);
      const idempotency = req.headers['x-gcs-idempotence-key'] ?? req.headers['idempotency-key'];
      calls.push({
        route: matched?.route.name ?? 'unknown',
        method: request.method,
        path: request.path,
        ...(auth.caller !== undefined ? { caller: auth.caller } : {}),
        authenticated: auth.ok,
        ...(typeof idempotency === 'string' ? { idempotencyKey: idempotency } : {}),
        body,
      });
      if (!matched) return send(options.notFound(request));
      const fault = options.faults.get(matched.route.name);
      const latency = fault?.latencyMs ?? 0;
      if (fault && fault.times !== undefined) {
        fault.times -= 1;
        if (fault.times <= 0) options.faults.delete(matched.route.name);
      }
      if (fault?.httpStatus !== undefined) return send({ status: fault.httpStatus, body: fault.body ?? options.faultBody(fault.httpStatus) }, latency, fault.html);
      if (!auth.ok) return send(auth.refusal!, latency);
      const answer = options.handle(matched.route.name, matched.params, request, auth.caller);
      return send(answer, fault?.latencyMs ?? answer.delayMs ?? 0);
    });
  };
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener) : http.createServer(listener);
  const listening = await listenOnLoopback(server, options.port);
  return {
    ...listening,
    calls: () => calls.map((call) => ({ ...call })),
    clearCalls: () => {
      calls = [];
    },
  };
}

/** A simulator's server listening on 127.0.0.1 (`port` 0: any free port): its URL, and a close that drops open connections. */
export async function listenOnLoopback(server: http.Server | https.Server, port: number): Promise<{ url: string; port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `${server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs a simulator as a process of its own (`npx tsx scripts/simulators/<name>.ts`): prints what
 * `describe` says once it listens, stops on SIGINT or SIGTERM, exits 1 when it cannot start.
 */
export function runStandalone<T extends { close(): Promise<void> }>(name: string, start: () => Promise<T>, describe: (simulator: T) => string): void {
  start()
    .then((simulator) => {
      process.stdout.write(`${describe(simulator)}\n`);
      const stop = () => void simulator.close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${name} could not start: ${String(error)}\n`);
      process.exit(1);
    });
}

/** A fresh self-signed certificate for 127.0.0.1 (openssl), for simulators of https-only SDKs; nothing is kept on disk. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'simulator-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

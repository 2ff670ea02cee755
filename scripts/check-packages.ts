/**
 * Packages the service for each stage (`sls package`, no AWS credentials needed) and checks every
 * function's artefact: zipped size ≤ 1 MB, and cold start ≤ 300 ms, measured as the time a fresh
 * Node process takes to require() the bundled handler (module load + handler initialisation) with
 * the function's environment pointing at services that do not answer. A module that connects at
 * load time either blows the budget or keeps its process alive, which is reported as well.
 *
 *   npm run package:check                      every stage
 *   npm run package:check -- --stage dev       one stage (CI packages each stage once, then deploys that package)
 *   npm run package:check -- --skip-package    check what .serverless-packages/ already holds
 *   npm run package:check -- --runs 9           more fresh processes per function (default 5)
 *   npm run package:check -- --stage dev --param queueBackend=sqs   a stage with a param overridden
 *                                               (here: the SQS variant, whose bundles carry the AWS SDK)
 *
 * Packages land in .serverless-packages/<stage>/, where `npm run deploy -- --stage <stage>
 * --package .serverless-packages/<stage>` picks them up.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';

export const STAGES = ['local', 'dev', 'staging', 'production'] as const;
export const MAX_ZIP_BYTES = 1024 * 1024;
export const MAX_COLD_START_MS = 300;
const ROOT = path.resolve(__dirname, '..');
/** How long a process may stay alive after loading the handler before we call it "connecting at load". */
const IDLE_EXIT_MS = 2000;
/** Fresh processes per function (`--runs N`); the fastest counts, as other load only adds time. */
let runs = 5;

/** Where `sls package` writes a stage's artefacts (the deploy job deploys exactly these). */
export function packageDir(stage: string): string {
  return `.serverless-packages/${stage}`;
}

/** The packaging command, as CI runs it through this script; `params` are `name=value` overrides. */
export function packageCommand(stage: string, params: string[] = []): string[] {
  return ['sls', 'package', '--stage', stage, ...params.flatMap((param) => ['--param', param]), '--package', packageDir(stage)];
}

/** Environment values that point at nothing reachable: connecting at load time would hang or fail. */
const UNREACHABLE: Record<string, string> = {
  REDIS_URL: 'redis://127.0.0.1:1',
  DATABASE_URL: 'mysql://nobody@127.0.0.1:1/none',
  SQS_ENDPOINT: 'http://127.0.0.1:1',
  KAFKA_BROKERS: '127.0.0.1:1',
  AWS_ACCESS_KEY_ID: 'none',
  AWS_SECRET_ACCESS_KEY: 'none',
  AWS_REGION: 'us-east-1',
};

interface FunctionPackage {
  stage: string;
  name: string;
  zip: string;
  /** e.g. functions/requeue-damaged.handler */
  handler: string;
  environment: Record<string, string>;
}

export interface PackageReport {
  stage: string;
  name: string;
  zipBytes: number;
  /** Compressed bytes of source maps inside the zip: often most of it, and not needed to run. */
  mapBytes: number;
  coldStartMs: number | null;
  exitedWhenIdle: boolean;
  error?: string;
  ok: boolean;
}

function packageStage(stage: string, params: string[]): void {
  rmSync(path.join(ROOT, packageDir(stage)), { recursive: true, force: true });
  const [bin, ...args] = packageCommand(stage, params);
  execFileSync('npx', [bin!, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
}

/** Reads the functions, handlers and resolved environments from the packaged state file. */
function functionsOf(stage: string): FunctionPackage[] {
  const dir = path.join(ROOT, packageDir(stage));
  const state = JSON.parse(readFileSync(path.join(dir, 'serverless-state.json'), 'utf8')) as {
    service: {
      provider: { environment?: Record<string, unknown> };
      functions: Record<string, { handler: string; environment?: Record<string, unknown>; package?: { artifact?: string } }>;
    };
  };
  const shared = stringValues(state.service.provider.environment);
  return Object.entries(state.service.functions).map(([name, fn]) => ({
    stage,
    name,
    zip: path.join(dir, `${name}.zip`),
    handler: fn.handler,
    environment: { ...shared, ...stringValues(fn.environment) },
  }));
}

function stringValues(record: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(record ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

/** The child's script: times require() of the handler module and checks the export. */
const MEASURE = `
const { performance } = require('node:perf_hooks');
const start = performance.now();
const mod = require(process.argv[1]);
const ms = performance.now() - start;
if (typeof mod[process.argv[2]] !== 'function') { console.log(JSON.stringify({ error: 'handler export missing' })); process.exit(1); }
console.log(JSON.stringify({ ms }));
`;

/** One fresh process: resolves with the load time and whether it exited by itself once idle. */
function measureOnce(file: string, exportName: string, env: Record<string, string>): Promise<{ ms: number | null; exited: boolean; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', MEASURE, file, exportName], {
      env: { PATH: process.env.PATH ?? '', ...env, ...UNREACHABLE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    let timer: NodeJS.Timeout | undefined;
    let killed = false;
    child.stdout.once('data', () => {
      // Loaded: a module that opened a connection or a timer keeps the process alive.
      timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, IDLE_EXIT_MS);
    });
    const hardLimit = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 15000);
    child.on('exit', () => {
      clearTimeout(timer);
      clearTimeout(hardLimit);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return resolve({ ms: null, exited: false, error: (err.trim().split('\n').pop() ?? 'no output').slice(0, 200) });
      const parsed = JSON.parse(line) as { ms?: number; error?: string };
      resolve({ ms: parsed.ms ?? null, exited: !killed, error: parsed.error });
    });
  });
}

async function checkFunction(fn: FunctionPackage): Promise<PackageReport> {
  const zipBytes = statSync(fn.zip).size;
  const work = mkdtempSync(path.join(tmpdir(), `pkg-${fn.name}-`));
  try {
    const mapBytes = compressedMapBytes(fn.zip);
    const unzip = spawnSync('unzip', ['-q', fn.zip, '-d', work]);
    if (unzip.status !== 0) throw new Error(`unzip failed: ${unzip.stderr.toString().trim()}`);
    const exportName = fn.handler.slice(fn.handler.lastIndexOf('.') + 1);
    const file = path.join(work, `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.js`);
    const results = [];
    for (let i = 0; i < runs; i += 1) results.push(await measureOnce(file, exportName, fn.environment));
    const failed = results.find((r) => r.error || r.ms === null);
    const times = results.map((r) => r.ms).filter((ms): ms is number => ms !== null);
    // The fastest of a few runs: the machine's other load only ever adds time.
    const coldStartMs = times.length ? Math.min(...times) : null;
    const exitedWhenIdle = results.every((r) => r.exited);
    const ok = !failed && zipBytes <= MAX_ZIP_BYTES && coldStartMs !== null && coldStartMs <= MAX_COLD_START_MS && exitedWhenIdle;
    return { stage: fn.stage, name: fn.name, zipBytes, mapBytes, coldStartMs, exitedWhenIdle, error: failed?.error, ok };
  } catch (error) {
    return { stage: fn.stage, name: fn.name, zipBytes, mapBytes: 0, coldStartMs: null, exitedWhenIdle: false, error: (error as Error).message, ok: false };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Sums the compressed sizes of `.map` entries (from `unzip -v`'s listing). */
function compressedMapBytes(zip: string): number {
  const listing = spawnSync('unzip', ['-v', zip]).stdout.toString();
  let total = 0;
  for (const line of listing.split('\n')) {
    const columns = line.trim().split(/\s+/);
    if (columns.length >= 8 && columns[columns.length - 1]!.endsWith('.map')) total += Number(columns[2]);
  }
  return total;
}

/** A fixed-width table of the reports. */
export function formatTable(reports: PackageReport[]): string {
  const rows = [
    ['stage', 'function', 'zip KiB', 'of which maps', `≤ ${MAX_ZIP_BYTES / 1024}`, 'cold start ms', `≤ ${MAX_COLD_START_MS}`, 'exits idle', 'result'],
    ...reports.map((r) => [
      r.stage,
      r.name,
      (r.zipBytes / 1024).toFixed(0),
      (r.mapBytes / 1024).toFixed(0),
      r.zipBytes <= MAX_ZIP_BYTES ? 'yes' : 'NO',
      r.coldStartMs === null ? '-' : r.coldStartMs.toFixed(0),
      r.coldStartMs !== null && r.coldStartMs <= MAX_COLD_START_MS ? 'yes' : 'NO',
      r.exitedWhenIdle ? 'yes' : 'NO',
      r.ok ? 'ok' : `FAIL${r.error ? ` (${r.error})` : ''}`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const chosen = args.flatMap((arg, i) => (arg === '--stage' && args[i + 1] ? [args[i + 1]!] : []));
  const stages = chosen.length ? chosen : [...STAGES];
  const params = args.flatMap((arg, i) => (arg === '--param' && args[i + 1] ? [args[i + 1]!] : []));
  const skipPackage = args.includes('--skip-package');
  const runsIndex = args.indexOf('--runs');
  if (runsIndex >= 0) runs = Math.max(1, Number(args[runsIndex + 1]) || runs);
  const reports: PackageReport[] = [];
  for (const stage of stages) {
    if (!skipPackage) packageStage(stage, params);
    const dir = path.join(ROOT, packageDir(stage));
    if (!readdirSync(dir).some((f) => f.endsWith('.zip'))) throw new Error(`no function packages in ${packageDir(stage)}`);
    const label = params.length ? `${stage} (${params.join(' ')})` : stage;
    for (const fn of functionsOf(stage)) reports.push({ ...(await checkFunction(fn)), stage: label });
  }
  console.log(formatTable(reports));
  // Cold starts measured on a busy machine are too high: say how busy it was.
  console.log(`cold start = fastest of ${runs} fresh processes; load average during the check: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`);
  if (reports.some((r) => !r.ok)) process.exit(1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}

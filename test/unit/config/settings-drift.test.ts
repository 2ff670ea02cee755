/**
 * One source per setting: the config modules (lib/**\/config.ts) hold each variable's default.
 * serverless.yml (and serverless/*.yml) may pass a variable only where a stage sets it
 * differently, and then its `default` param must be the code's default; the README's tables
 * must say what the code and serverless.yml do. These checks fail on any drift between them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { queueDefinitions } from '../../../lib/queue/definitions';
import { STAGES } from '../../../scripts/check-packages';
import { README, renderReadme, settings, type Setting } from '../../../scripts/config-readme';
import { logicalId } from '../../../scripts/generate-queue-artefacts';
import { parseYaml } from '../../support/yaml';

const ROOT = path.resolve(__dirname, '../../..');

interface FunctionConfig {
  timeout?: unknown;
  environment?: Record<string, unknown>;
  events?: Array<Record<string, unknown>>;
}
interface ServiceFile {
  service?: string;
  params?: Record<string, Record<string, unknown>>;
  provider?: { timeout?: number; environment?: Record<string, unknown> };
  functions?: Array<Record<string, FunctionConfig> | string> | Record<string, FunctionConfig>;
}

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const serviceFiles = ['serverless.yml', ...readdirSync(path.join(ROOT, 'serverless')).filter((f) => f.endsWith('.yml')).map((f) => `serverless/${f}`)];
const parsed = Object.fromEntries(serviceFiles.map((file) => [file, parseYaml(read(file)) as ServiceFile]));
const serverless = parsed['serverless.yml']!;
const params = serverless.params!;
const provider = serverless.provider!;

/** Every function of every variant (serverless.yml's own and each included file's), by name. */
const functions: Record<string, FunctionConfig & { file: string }> = {};
for (const [file, content] of Object.entries(parsed)) {
  const blocks = Array.isArray(content.functions) ? content.functions : content.functions ? [content.functions] : [];
  for (const block of blocks) {
    if (typeof block === 'string') continue;
    for (const [name, fn] of Object.entries(block)) functions[name] = { ...fn, file };
  }
}

/** The variables serverless.yml sets: the provider's for every function, and each function's own. */
const passed: Array<{ where: string; name: string; value: unknown }> = [
  ...Object.entries(provider.environment ?? {}).map(([name, value]) => ({ where: 'provider', name, value })),
  ...Object.entries(functions).flatMap(([fn, config]) => Object.entries(config.environment ?? {}).map(([name, value]) => ({ where: fn, name, value }))),
];

/** The params osls gives a stage: its block over `default`; `undefined`: `default` alone. */
function paramsOf(stage?: string): Record<string, unknown> {
  return { ...params.default, ...(stage ? params[stage] : {}) };
}

/**
 * Resolves the variables serverless.yml uses: `${param:x}`, `${sls:stage}`, `${self:service}`
 * and `${env:X, 'fallback'}` (to its fallback: the test must not depend on the environment).
 */
function resolve(value: unknown, stage: string | undefined): unknown {
  if (typeof value !== 'string') return value;
  const whole = /^\$\{param:(\w+)\}$/.exec(value);
  if (whole) return resolve(paramsOf(stage)[whole[1]!], stage);
  const text = value.replace(/\$\{([^{}]+)\}/g, (_, variable: string) => {
    const param = /^param:(\w+)$/.exec(variable);
    if (param) return String(resolve(paramsOf(stage)[param[1]!], stage));
    if (variable === 'sls:stage') return stage ?? 'local';
    if (variable === 'self:service') return serverless.service!;
    const env = /^env:\w+,\s*'([^']*)'$/.exec(variable);
    if (env) return env[1]!;
    throw new Error(`the test cannot resolve \${${variable}}`);
  });
  return text;
}

const byName = new Map<string, Setting>(settings().map((s) => [s.name, s]));
/** A value as the config loader sees it: an empty variable is an absent one. */
const asEnv = (value: unknown) => (value === undefined || value === '' ? undefined : String(value));

/** What a function of a stage runs with: serverless.yml's value, else the code's default. */
function effective(fn: string, variable: string, stage?: string): string | undefined {
  const raw = functions[fn]?.environment?.[variable] ?? provider.environment?.[variable];
  return raw === undefined ? byName.get(variable)?.default : asEnv(resolve(raw, stage));
}

const timeoutOf = (fn: string, stage?: string) => Number(resolve(functions[fn]!.timeout ?? provider.timeout, stage));

/** The queue definition of an SQS-triggered function's event source (CloudFormation logical id `<Name>Queue`). */
function queueOf(fn: string) {
  const sqs = functions[fn]?.events?.find((event) => 'sqs' in event)?.sqs as { arn: { 'Fn::GetAtt': [string, string] } } | undefined;
  return sqs && queueDefinitions.find((q) => `${logicalId(q.name)}Queue` === sqs.arn['Fn::GetAtt'][0]);
}

/** Which time limit each scheduled function stops at, and the headroom it needs under its timeout. */
const TIME_LIMITS: Record<string, { variable: string; headroom: number }> = {
  'consume-pending': { variable: 'CONSUME_PENDING_TIME_LIMIT_SECONDS', headroom: 10 },
  'consume-payments-init': { variable: 'CONSUME_PAYMENTS_INIT_TIME_LIMIT_SECONDS', headroom: 10 },
  'consume-contribution-tracking': { variable: 'TRACKING_CONSUMER_TIME_LIMIT_SECONDS', headroom: 10 },
  'rectify-orphans': { variable: 'RECTIFY_ORPHANS_TIME_LIMIT_SECONDS', headroom: 10 },
  // Its rectifier runs stop at the run's limit after the order in hand (a few processor calls).
  'consume-rectify': { variable: 'CONSUME_RECTIFY_TIME_LIMIT_SECONDS', headroom: 30 },
  'expire-pending': { variable: 'EXPIRE_PENDING_TIME_LIMIT_SECONDS', headroom: 10 },
  // The batch in hand when the limit comes, and a reconnect that is already under way (5 s).
  'cutover-bridge': { variable: 'CUTOVER_BRIDGE_TIME_LIMIT_SECONDS', headroom: 20 },
  // The scheduled Kafka loader also joins the group and commits a last batch.
  'load-impressions': { variable: 'IMPRESSIONS_TIME_LIMIT_SECONDS', headroom: 30 },
};

/**
 * Passed although no stage sets another value, and why: the Kafka event source (serverless/
 * impressions-kafka.yml) names the same topics and group from the same params, so the loader
 * must get them from there too; QUEUE_BACKEND also chooses the bundle and the included files.
 */
// The previous HMAC secrets are set by no stage in the file: a stage sets them for the length of a rotation.
const PASSED_WITHOUT_OVERRIDE = new Set([
  'QUEUE_BACKEND', 'IMPRESSIONS_CONSUMER_GROUP', 'IMPRESSIONS_BANNER_TOPICS', 'IMPRESSIONS_LANDING_PAGE_TOPICS',
  'TRACKING_HMAC_SECRET_PREVIOUS', 'PENDING_HMAC_SECRET_PREVIOUS',
]);

/** Every file under lib/ and scripts/ named config.ts. */
function configModules(dir = ROOT): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return configModules(file);
    return name === 'config.ts' ? [file] : [];
  });
}

describe('settings drift', () => {
  it('should list every variable of every config module in the settings the README is generated from', () => {
    const modules = [...configModules(path.join(ROOT, 'lib')), ...configModules(path.join(ROOT, 'scripts'))];
    expect(modules.length).toBeGreaterThan(8);
    const declared = modules.flatMap((file) =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Object.values(require(file) as Record<string, unknown>).flatMap((value) =>
        typeof value === 'function' && 'shape' in value ? Object.keys((value as { shape: object }).shape) : [],
      ),
    );

    const missing = declared.filter((name) => !byName.has(name));

    expect(declared.length).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('should pass functions only variables that a config module declares', () => {
    const unknown = passed.filter(({ name }) => !byName.has(name)).map(({ where, name }) => `${where}: ${name}`);

    expect(passed.length).toBeGreaterThan(10);
    expect(unknown).toEqual([]);
  });

  it("should make every default param that serverless.yml passes the code's default", () => {
    const drift = passed
      .filter(({ name }) => byName.get(name)!.default !== undefined)
      .map(({ where, name, value }) => ({ where, name, serverless: asEnv(resolve(value, undefined)), code: byName.get(name)!.default }))
      .filter((row) => row.serverless !== row.code && row.name !== 'STAGE');

    expect(drift).toEqual([]);
  });

  it('should pass a variable only where some stage sets it differently from the default', () => {
    const needless = passed
      .filter(({ name }) => !PASSED_WITHOUT_OVERRIDE.has(name))
      .filter(({ name, value }) => STAGES.every((stage) => asEnv(resolve(value, stage)) === byName.get(name)!.default))
      .map(({ where, name }) => `${where}: ${name}`);

    expect(needless).toEqual([]);
  });

  it('should leave no param unused', () => {
    const scripts = readdirSync(path.join(ROOT, 'serverless')).filter((f) => f.endsWith('.js')).map((f) => read(`serverless/${f}`));
    const texts = [...serviceFiles.map(read), ...scripts];
    const referenced = new Set(texts.flatMap((text) => [...text.matchAll(/param:(\w+)/g)].map((m) => m[1]!)));

    const unused = Object.entries(params).flatMap(([stage, block]) => Object.keys(block).filter((name) => !referenced.has(name)).map((name) => `${stage}: ${name}`));

    expect(unused).toEqual([]);
  });

  it("should stop every time-limited run well before its function's timeout, on every stage and with the code's default", () => {
    const tooLong: string[] = [];
    for (const [fn, { variable, headroom }] of Object.entries(TIME_LIMITS)) {
      expect({ fn, defined: functions[fn] !== undefined }).toEqual({ fn, defined: true });
      const code = Number(byName.get(variable)!.default);
      if (!(code > 0 && timeoutOf(fn) >= code + headroom)) tooLong.push(`${fn}: ${variable} defaults to ${code}, timeout ${timeoutOf(fn)} s`);
      for (const stage of STAGES) {
        const limit = Number(effective(fn, variable, stage));
        if (!(limit > 0 && timeoutOf(fn, stage) >= limit + headroom)) tooLong.push(`${stage} ${fn}: ${variable} ${limit}, timeout ${timeoutOf(fn, stage)} s`);
      }
    }

    expect(tooLong).toEqual([]);
  });

  it('should give each SQS consumer the timeout that its queue definition declares', () => {
    const consumers = Object.keys(functions).filter((fn) => queueOf(fn) !== undefined);
    expect(consumers.length).toBe(4);
    for (const name of consumers) {
      const queue = queueOf(name);

      for (const stage of STAGES) {
        expect({ name, stage, timeout: timeoutOf(name, stage) }).toEqual({ name, stage, timeout: queue?.functionTimeoutSeconds });
      }
    }
  });
});

describe('README tables', () => {
  const readme = readFileSync(README, 'utf8');

  it('should hold exactly the configuration table the config modules give (run npm run config:readme)', () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it('should give each function the limits, batch sizes, timeout and queue visibility that it runs with by default', () => {
    const BATCH_SIZES: Record<string, string> = { 'consume-pending': 'CONSUME_PENDING_BATCH_SIZE', 'consume-payments-init': 'CONSUME_PAYMENTS_INIT_BATCH_SIZE', 'consume-contribution-tracking': 'TRACKING_CONSUMER_BATCH_SIZE' };
    const rows = readme
      .split('\n')
      .map((line) => /^\| ([a-z-]+)(?: \*\([^)]*\)\*)? \| (.*) \| (.*) \|$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && functions[m[1]!] !== undefined);
    expect(rows.map((m) => m[1]).sort()).toEqual(Object.keys(functions).sort());

    const wrong: string[] = [];
    for (const [, fn = '', , limits = ''] of rows) {
      const timeout = /timeout (\d+) s/.exec(limits)?.[1];
      if (Number(timeout) !== timeoutOf(fn)) wrong.push(`${fn}: timeout ${timeout} (serverless.yml ${timeoutOf(fn)})`);
      const limit = /(\d+) s limit/.exec(limits)?.[1];
      const expectedLimit = TIME_LIMITS[fn] ? effective(fn, TIME_LIMITS[fn].variable) : undefined;
      if (limit !== expectedLimit) wrong.push(`${fn}: ${limit} s limit (runs with ${expectedLimit})`);
      const batch = /batches of (\d+)/.exec(limits)?.[1];
      const expectedBatch = BATCH_SIZES[fn] ? effective(fn, BATCH_SIZES[fn]) : undefined;
      if (batch !== expectedBatch) wrong.push(`${fn}: batches of ${batch} (runs with ${expectedBatch})`);
      const visibility = /visibility (\d+) s/.exec(limits)?.[1];
      const queue = queueOf(fn);
      if (visibility !== (queue && String(queue.visibilityTimeoutSeconds))) wrong.push(`${fn}: visibility ${visibility} s (queue ${queue?.visibilityTimeoutSeconds})`);
    }

    expect(wrong).toEqual([]);
  });
});

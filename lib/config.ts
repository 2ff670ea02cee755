/**
 * Configuration comes from the environment only, validated once when a process starts.
 *
 * Each capability declares the variables it reads with `defineConfig`; the returned loader
 * validates all of them at its first call, reports every missing or bad variable in one
 * `ConfigError` (names and reasons, never values: some are secrets), and then memoises.
 * Defaults point at the local stack, so a fresh clone runs without any variable set.
 *
 * Each variable's default and its `.describe()` text are written here and nowhere else: the
 * README's configuration table is generated from these modules (`npm run config:readme`), and a
 * unit test (test/unit/config/settings-drift.test.ts) fails when serverless.yml passes a value
 * no stage needs or disagrees with a default.
 */
import * as z from 'zod';
import { ConfigError } from './errors';

type Env = Record<string, string | undefined>;

/** Declares a group of environment variables; the loader validates once and memoises. */
export function defineConfig<S extends z.ZodRawShape>(shape: S): ConfigLoader<z.infer<z.ZodObject<S>>> {
  const schema = z.object(shape);
  let cached: z.infer<typeof schema> | undefined;
  const load = ((env: Env = process.env) => {
    if (env === process.env && cached) return cached;
    const picked: Env = {};
    for (const key of Object.keys(shape)) {
      const value = env[key];
      picked[key] = value === '' ? undefined : value;
    }
    const result = schema.safeParse(picked);
    if (!result.success) {
      throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
    }
    if (env === process.env) cached = result.data;
    return result.data;
  }) as ConfigLoader<z.infer<typeof schema>>;
  load.reset = () => {
    cached = undefined;
  };
  return Object.assign(load, { shape });
}

export interface ConfigLoader<T> {
  (env?: Env): T;
  /** Forgets the memoised result (tests that change the environment). */
  reset(): void;
  /** The variables it reads, by name (the README table and the drift test read their defaults). */
  readonly shape: z.ZodRawShape;
}

const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

function bool(fallback: boolean): z.ZodDefault<typeof booleanText>;
function bool(): z.ZodOptional<typeof booleanText>;
function bool(fallback?: boolean) {
  return fallback === undefined ? booleanText.optional() : booleanText.default(fallback);
}

/** Builders for the value kinds our variables hold; numeric strings are accepted everywhere. */
export const env = {
  string: (fallback?: string) => (fallback === undefined ? z.string().min(1) : z.string().min(1).default(fallback)),
  int: (fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) =>
    z.coerce
      .number({ message: 'must be a whole number' })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(fallback),
  /** A limit where 0 or absence means "no limit". */
  limit: (fallback = 0) => z.coerce.number({ message: 'must be a whole number' }).int('must be a whole number').min(0).default(fallback),
  /** true/false, 1/0 or yes/no; without a fallback, absent stays undefined (a derived default). */
  bool,
  url: (protocols: string[], fallback?: string) => {
    const base = z.string().refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    }, `must be a URL with scheme ${protocols.join(' or ')}`);
    return fallback === undefined ? base : base.default(fallback);
  },
  oneOf: <T extends string>(values: readonly [T, ...T[]], fallback: T) =>
    z.enum(values, { message: `must be one of ${values.join(', ')}` }).default(fallback),
  /** Comma-separated list, blanks dropped. */
  list: (fallback: string[] = []) =>
    z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .default(fallback),
};

const logShape = {
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info').describe('fatal, error, warn, info, debug, trace or silent'),
};

/** The log level alone: what `lib/log.ts` reads when a module loads (a subset of coreConfig). */
export const logConfig = defineConfig(logShape);

/** What every process needs: where Redis and the database are, and how to log. */
export const coreConfig = defineConfig({
  STAGE: env.string('local').describe('deployment stage name; SQS queue names start with `${STAGE}-`'),
  ...logShape,
  REDIS_URL: env.url(['redis', 'rediss'], 'redis://127.0.0.1:6379').describe('Redis for the queues and the tracking id sequence'),
  DATABASE_URL: env.url(['mysql', 'mariadb'], 'mysql://root@127.0.0.1:3306/buffer_local').describe('MariaDB/MySQL database (created by `npm run migrate`)'),
  // One database per capability, as the legacy deployment had them (pgehres, smashpig and fredge,
  // drupal). Unset means DATABASE_URL: its default is the only one (capabilityDatabaseUrl).
  IMPRESSIONS_DATABASE_URL: env.url(['mysql', 'mariadb']).optional().describe('database of the impressions tables (unset: DATABASE_URL; legacy name `pgehres`)'),
  PENDING_DATABASE_URL: env.url(['mysql', 'mariadb']).optional().describe('database of `pending`, `payments_initial` and `damaged` (unset: DATABASE_URL)'),
  TRACKING_DATABASE_URL: env.url(['mysql', 'mariadb']).optional().describe('database of the contribution tracking tables (unset: DATABASE_URL; legacy name `drupal`)'),
  QUEUE_BACKEND: env.oneOf(['redis', 'sqs'], 'redis').describe('`redis` or `sqs` (serverless.yml: the `queueBackend` param)'),
  SOURCE_NAME: env.string('donation-buffer').describe('stamped on pushed messages as `source_name` (the service name)'),
  SOURCE_VERSION: env.string('dev').describe('stamped on pushed messages as `source_version`'),
  METRICS_NAMESPACE: env
    .string()
    .optional()
    .describe("CloudWatch namespace of every function's per-invocation metrics (embedded metric format, docs/architecture.md §10; unset: none written, as locally)"),
  INVOCATION_FIGURES_KEPT_DAYS: env
    .int(7, { min: 0, max: 365 })
    .describe("days Redis keeps a function's invocation totals for the console's `/console/metrics` after its last invocation (docs/architecture.md §10; 0: none recorded)"),
});

/** The capabilities whose tables may live in a database of their own. */
export type DatabaseCapability = 'impressions' | 'pending' | 'tracking';

const CAPABILITY_URL = {
  impressions: 'IMPRESSIONS_DATABASE_URL',
  pending: 'PENDING_DATABASE_URL',
  tracking: 'TRACKING_DATABASE_URL',
} as const satisfies Record<DatabaseCapability, keyof CoreConfig>;

type CoreConfig = ReturnType<typeof coreConfig>;

/** The database URL of a capability's tables: its own variable, else DATABASE_URL. */
export function capabilityDatabaseUrl(config: Pick<CoreConfig, 'DATABASE_URL' | (typeof CAPABILITY_URL)[DatabaseCapability]>, capability: DatabaseCapability): string {
  return config[CAPABILITY_URL[capability]] ?? config.DATABASE_URL;
}

/** Every distinct database URL the capabilities use (what `npm run migrate` migrates). */
export function databaseUrls(config: Pick<CoreConfig, 'DATABASE_URL' | (typeof CAPABILITY_URL)[DatabaseCapability]>): string[] {
  return [...new Set([config.DATABASE_URL, ...(Object.keys(CAPABILITY_URL) as DatabaseCapability[]).map((capability) => capabilityDatabaseUrl(config, capability))])];
}

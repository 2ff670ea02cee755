/**
 * serverless.yml and the files it includes (serverless/*.yml, serverless/iam-roles.js), read as
 * YAML: the checks that `sls package` cannot make (it would pass a function with no trigger, a
 * stage missing a param until that stage is packaged, or a queue redelivering messages while its
 * consumer still runs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { STAGES } from '../../../scripts/check-packages';
import { parseYaml } from '../../support/yaml';

const ROOT = path.resolve(__dirname, '../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const iamRolesModule = require('../../../serverless/iam-roles.js') as {
  iamRoles(settings: Settings): { Resources: Record<string, { Properties: { Policies: Array<{ PolicyDocument: { Statement: Statement[] } }> } }> };
  functionsOf(settings: Pick<Settings, 'queueBackend' | 'impressionsTrigger'>): string[];
  roleLogicalId(name: string): string;
};

interface Settings {
  queueBackend: string;
  impressionsTrigger: string;
  network: string;
  kafkaAccessConfigurations: Record<string, string[]>;
}
interface Statement {
  Action: string[];
  Resource: unknown;
}
interface FunctionConfig {
  handler: string;
  role?: string;
  timeout?: unknown;
  environment?: Record<string, unknown>;
  events?: Array<Record<string, unknown>>;
}
type Functions = Record<string, FunctionConfig>;
interface ServerlessYml {
  configValidationMode: string;
  params: Record<string, Record<string, unknown>>;
  provider: { runtime: string; environment: Record<string, string> };
  custom: { esbuild: { define: Record<string, string> } };
  functions: Array<Functions | string>;
  resources: string[];
}
interface IncludedFile {
  functions?: Functions;
  resources?: unknown;
}

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const serverlessText = read('serverless.yml');
const serverless = parseYaml(serverlessText) as ServerlessYml;
const includedFiles = readdirSync(path.join(ROOT, 'serverless')).filter((f) => f.endsWith('.yml'));
const includedText = Object.fromEntries(includedFiles.map((f) => [f, read(`serverless/${f}`)]));

/** The params of a stage, as osls sees them: the stage's block over `default`. */
function paramsOf(stage: string): Record<string, unknown> {
  return { ...serverless.params.default, ...(serverless.params[stage] ?? {}) };
}

/** Replaces `${param:x}` and `${sls:stage}`; a value that is one variable keeps the param's type. */
function resolve(value: unknown, stage: string): unknown {
  if (typeof value !== 'string') return value;
  const params = paramsOf(stage);
  const whole = /^\$\{param:(\w+)\}$/.exec(value);
  if (whole) return params[whole[1]!];
  return value.replace(/\$\{param:(\w+)\}/g, (_, name: string) => String(params[name])).replace(/\$\{sls:stage\}/g, stage);
}

/** The included file a `${file(serverless/<name>-${param:p}.yml):key}` entry names for a stage. */
function includedFile(entry: string, stage: string): { file: string; key: string } {
  const match = /^\$\{file\((serverless\/[^)]+)\):(\w+)(?:, null)?\}$/.exec(entry);
  if (!match) throw new Error(`not a file include: ${entry}`);
  return { file: String(resolve(match[1], stage)).replace(/^serverless\//, ''), key: match[2]! };
}

/** Every function a stage deploys, in order, from serverless.yml and the files it includes. */
function functionsOf(stage: string): Functions {
  const merged: Functions = {};
  for (const entry of serverless.functions) {
    const block = typeof entry === 'string' ? (parseYaml(includedText[includedFile(entry, stage).file]!) as IncludedFile).functions : entry;
    Object.assign(merged, block);
  }
  return merged;
}

/** Every variant of the functions (each queue backend and impressions trigger), by file. */
const functionVariants: Record<string, Functions> = Object.fromEntries(
  includedFiles
    .map((f) => [f, (parseYaml(includedText[f]!) as IncludedFile).functions] as const)
    .filter(([, functions]) => functions !== undefined),
) as Record<string, Functions>;
const inlineFunctions = serverless.functions.find((entry): entry is Functions => typeof entry !== 'string')!;
const allFunctions: Functions = Object.assign({}, inlineFunctions, ...Object.values(functionVariants));

describe('serverless.yml', () => {
  it('should deploy the nodejs22.x runtime and refuse invalid configuration', () => {
    expect(serverless.provider.runtime).toBe('nodejs22.x');
    expect(serverless.configValidationMode).toBe('error');
  });

  it('should list requeue-damaged first', () => {
    for (const stage of STAGES) expect(Object.keys(functionsOf(stage))[0]).toBe('requeue-damaged');
    expect(serverlessText.indexOf('requeue-damaged:')).toBeLessThan(serverlessText.indexOf('handler:'));
  });

  it('should make every handler file in functions/ a function of some variant, named after its file', () => {
    const files = readdirSync(path.join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const name = file.replace(/\.ts$/, '');
      expect({ name, handler: allFunctions[name]?.handler }).toEqual({ name, handler: `functions/${name}.handler` });
    }
    for (const fn of Object.values(allFunctions)) expect(files).toContain(`${fn.handler.replace(/^functions\//, '').replace(/\.handler$/, '')}.ts`);
  });

  it('should give every function of every variant a trigger and its own role', () => {
    for (const [name, fn] of Object.entries(allFunctions)) {
      expect({ name, events: (fn.events ?? []).length > 0 }).toEqual({ name, events: true });
      expect({ name, role: fn.role }).toEqual({ name, role: iamRolesModule.roleLogicalId(name) });
    }
  });

  it('should define, for every stage, each param that serverless.yml and its included files reference', () => {
    const texts = [serverlessText, ...Object.values(includedText), read('serverless/iam-roles.js')];
    const referenced = new Set(texts.flatMap((text) => [...text.matchAll(/param:(\w+)/g)].map((m) => m[1]!)));
    expect(referenced.size).toBeGreaterThan(20);
    for (const stage of STAGES) {
      const params = paramsOf(stage);
      const missing = [...referenced].filter((name) => params[name] === undefined);
      expect({ stage, missing }).toEqual({ stage, missing: [] });
    }
  });

  it('should include, for every stage, files that exist for its queue backend, impressions trigger and network', () => {
    for (const stage of STAGES) {
      const entries = [...serverless.functions.filter((e): e is string => typeof e === 'string'), ...serverless.resources.filter((e) => e.endsWith('.yml):resources}'))];
      for (const entry of entries) expect(includedFiles).toContain(includedFile(entry, stage).file);
    }
  });

  // Time limits against timeouts (with the code's defaults where serverless.yml passes none):
  // test/unit/config/settings-drift.test.ts.

  it('should trigger the SQS consumers with partial batch responses from queues whose visibility timeout is at least 6 times their timeout', () => {
    const queues = (parseYaml(includedText['resources-sqs.yml']!) as { Resources: Record<string, { Type: string; Properties: { VisibilityTimeout?: number } }> }).Resources;
    const sqsFunctions = Object.entries(functionVariants['consumers-sqs.yml']!);
    expect(sqsFunctions.map(([name]) => name).sort()).toEqual(['consume-contribution-tracking-sqs', 'consume-payments-init-sqs', 'consume-pending-sqs', 'consume-rectify-sqs']);
    for (const stage of STAGES) {
      for (const [name, fn] of sqsFunctions) {
        const sqs = fn.events![0]!.sqs as { arn: { 'Fn::GetAtt': [string, string] }; functionResponseType: string; batchSize: unknown };
        expect(sqs.functionResponseType).toBe('ReportBatchItemFailures');
        const queue = queues[sqs.arn['Fn::GetAtt'][0]];
        expect(queue?.Type).toBe('AWS::SQS::Queue');
        const timeout = Number(resolve(fn.timeout, stage));
        expect({ stage, name, visibility: queue!.Properties.VisibilityTimeout! >= 6 * timeout }).toEqual({ stage, name, visibility: true });
        expect(Number(resolve(sqs.batchSize, stage))).toBeGreaterThan(0);
      }
    }
  });

  it('should consume FIFO queues (partitioned ones) from their .fifo queue in batches of at most 10 without a batching window', () => {
    type QueueResource = { Type: string; Properties: { QueueName: string; FifoQueue?: boolean } };
    const queues = (parseYaml(includedText['resources-sqs.yml']!) as { Resources: Record<string, QueueResource> }).Resources;
    const fifoSources = Object.entries(functionVariants['consumers-sqs.yml']!).filter(([, fn]) => {
      const sqs = fn.events![0]!.sqs as { arn: { 'Fn::GetAtt': [string, string] } };
      return queues[sqs.arn['Fn::GetAtt'][0]]?.Properties.FifoQueue === true;
    });
    expect(fifoSources.map(([name]) => name)).toEqual(['consume-contribution-tracking-sqs']);
    for (const stage of STAGES) {
      for (const [name, fn] of fifoSources) {
        const sqs = fn.events![0]!.sqs as { arn: { 'Fn::GetAtt': [string, string] }; batchSize: unknown; maximumBatchingWindow?: unknown };
        expect(queues[sqs.arn['Fn::GetAtt'][0]]!.Properties.QueueName).toMatch(/\.fifo$/);
        // AWS refuses a larger batch, and a batching window, on a FIFO event source.
        expect({ stage, name, batchSize: Number(resolve(sqs.batchSize, stage)) <= 10, window: sqs.maximumBatchingWindow }).toEqual({ stage, name, batchSize: true, window: undefined });
      }
    }
  });

  it('should build bundles for the stage queue backend only (the SQS backend is left out on Redis)', () => {
    expect(serverless.custom.esbuild.define['process.env.BUNDLED_QUEUE_BACKEND']).toBe('"${param:queueBackend}"');
    expect(serverless.provider.environment.QUEUE_BACKEND).toBe('${param:queueBackend}');
    for (const stage of STAGES) expect(['redis', 'sqs']).toContain(paramsOf(stage).queueBackend);
  });

  it('should need no AWS credentials to package any stage, and keep secrets of deployed stages out of the package', () => {
    const texts = [serverlessText, ...Object.values(includedText)];
    for (const text of texts) expect(text).not.toMatch(/\$\{(ssm|aws|cf|s3|secretsmanager)(\([^)]*\))?:/);
    const secrets = ['redisUrl', 'databaseUrl', 'trackingHmacSecret', 'hostedPaymentApiKey', 'expressCheckoutApiKey', 'consoleToken'];
    for (const stage of STAGES.filter((s) => s !== 'local')) {
      for (const name of secrets) {
        expect({ stage, name, value: paramsOf(stage)[name] }).toEqual({ stage, name, value: `{{resolve:secretsmanager:donation-buffer/\${sls:stage}:SecretString:${name.replace(/([A-Z])/g, '_$1').toUpperCase()}}}` });
      }
      expect(paramsOf(stage).network).toBe('private');
    }
    expect(paramsOf('local').network).toBe('none');
  });
});

describe('serverless/console-alarms.js', () => {
  interface AlarmResource {
    Properties: { AlarmName: string; MetricName?: string; Namespace?: string; Statistic?: string; Threshold: number; Dimensions?: Array<{ Name: string; Value: string }>; Metrics?: Array<{ Expression?: string }> };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const resolveAlarms = require('../../../serverless/console-alarms.js') as (sls: { resolveVariable(name: string): Promise<unknown> }) => Promise<{ Resources: Record<string, AlarmResource> }>;

  /** The alarms of a stage, as osls builds them: every `param:` it resolves must be one the stage has. */
  async function alarmsOf(stage: string): Promise<Record<string, AlarmResource>> {
    const params = paramsOf(stage);
    const resolveVariable = async (name: string) => {
      if (name === 'sls:stage') return stage;
      const value = resolve(params[name.replace(/^param:/, '')], stage);
      if (value === undefined) throw new Error(`stage ${stage} has no ${name}`);
      // `${env:X, 'fallback'}`: the local stage's values, with nothing set in the environment.
      const fromEnv = typeof value === 'string' ? /^\$\{env:\w+, '([^']*)'\}$/.exec(value) : null;
      return fromEnv ? fromEnv[1] : value;
    };
    return (await resolveAlarms({ resolveVariable })).Resources;
  }

  it("should alarm on every deployed function's errors, with the stage's threshold, on the dimensions its runtime publishes", async () => {
    for (const stage of STAGES.filter((s) => s !== 'local')) {
      const params = paramsOf(stage);
      const alarms = await alarmsOf(stage);
      const deployed = Object.keys(functionsOf(stage));
      const errors = Object.values(alarms).filter((a) => a.Properties.MetricName === 'Errors');

      expect(errors.map((a) => a.Properties.Dimensions!.find((d) => d.Name === 'Function')!.Value).sort()).toEqual([...deployed].sort());
      for (const { Properties } of errors) {
        expect(Properties).toMatchObject({ Namespace: resolve(params.metricsNamespace, stage), Statistic: 'Sum', Threshold: Number(params.consoleAlarmFunctionErrors) });
        expect(Properties.Dimensions!.map((d) => d.Name)).toEqual(['service', 'Stage', 'Function']);
        // The Function dimension is the name the handler gives createHandler.
        const fn = Properties.Dimensions![2]!.Value;
        expect(read(`functions/${fn}.ts`)).toContain(`createHandler('${fn}'`);
      }
    }
  });

  it('should alarm on collected dead letters and on damaged growth per queue, with the stage params as thresholds', async () => {
    const params = paramsOf('production');
    const alarms = await alarmsOf('production');

    expect(alarms.FunctionCollectDeadLettersDeadLetteredAlarm!.Properties).toMatchObject({ MetricName: 'DeadLettered', Statistic: 'Sum', Threshold: Number(params.consoleAlarmDeadLettered) });
    expect(alarms.ConsolePendingDamagedGrowthAlarm!.Properties).toMatchObject({ Threshold: Number(params.consoleAlarmDamagedGrowth), Metrics: [{}, { Expression: 'DIFF(rows)' }] });
  });

  it('should define no alarms on per-invocation metrics where none are written (local)', async () => {
    const alarms = await alarmsOf('local');

    expect(Object.keys(alarms).filter((id) => id.startsWith('Function'))).toEqual([]);
    expect(Object.keys(alarms).length).toBeGreaterThan(0);
  });
});

describe('serverless/iam-roles.js', () => {
  const variants = [
    { queueBackend: 'redis', impressionsTrigger: 'schedule' },
    { queueBackend: 'sqs', impressionsTrigger: 'schedule' },
    { queueBackend: 'redis', impressionsTrigger: 'kafka' },
    { queueBackend: 'sqs', impressionsTrigger: 'kafka' },
  ];
  const functionNamesOf = (variant: { queueBackend: string; impressionsTrigger: string }) =>
    Object.keys({
      ...inlineFunctions,
      ...functionVariants[`consumers-${variant.queueBackend}.yml`],
      ...functionVariants[`impressions-${variant.impressionsTrigger}.yml`],
      ...functionVariants['console-token.yml'],
      ...functionVariants['console-metrics.yml'],
    }).sort();

  it('should create exactly one role per function of each variant', () => {
    for (const variant of variants) {
      expect(iamRolesModule.functionsOf(variant).sort()).toEqual(functionNamesOf(variant));
      const roles = iamRolesModule.iamRoles({ ...variant, network: 'none', kafkaAccessConfigurations: { saslScram512Auth: ['arn:aws:secretsmanager:us-east-1:1:secret:k'], vpcSubnet: ['subnet-1'] } });
      expect(Object.keys(roles.Resources).sort()).toEqual(functionNamesOf(variant).map((name) => iamRolesModule.roleLogicalId(name)).sort());
    }
  });

  it('should grant SQS actions only on SQS, and each function only the queues it uses', () => {
    const statementsOf = (settings: Settings, name: string) =>
      iamRolesModule.iamRoles(settings).Resources[iamRolesModule.roleLogicalId(name)]!.Properties.Policies[0]!.PolicyDocument.Statement;
    const redis = { queueBackend: 'redis', impressionsTrigger: 'schedule', network: 'private', kafkaAccessConfigurations: {} };
    for (const name of iamRolesModule.functionsOf(redis)) {
      expect(statementsOf(redis, name).flatMap((s) => s.Action).filter((a) => a.startsWith('sqs:'))).toEqual([]);
    }
    const sqs = { ...redis, queueBackend: 'sqs' };
    expect(statementsOf(sqs, 'track-contribution').find((s) => s.Action.includes('sqs:SendMessage'))?.Resource).toEqual([{ 'Fn::GetAtt': ['ContributionTrackingQueue', 'Arn'] }]);
    expect(statementsOf(sqs, 'consume-pending-sqs').find((s) => s.Action.includes('sqs:ReceiveMessage'))?.Resource).toEqual([{ 'Fn::GetAtt': ['PendingQueue', 'Arn'] }]);
    expect(statementsOf(sqs, 'expire-pending').flatMap((s) => s.Action).filter((a) => a.startsWith('sqs:'))).toEqual([]);
    expect(statementsOf(sqs, 'requeue-damaged').flatMap((s) => s.Action)).not.toContain('sqs:ReceiveMessage');
  });

  it('should let a function write only to its own log group, and touch the VPC only on private networks', () => {
    const settings = { queueBackend: 'redis', impressionsTrigger: 'schedule', network: 'none', kafkaAccessConfigurations: {} };
    const roles = iamRolesModule.iamRoles(settings).Resources;
    expect(roles.RequeueDamagedRole!.Properties.Policies[0]!.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [{ 'Fn::GetAtt': ['RequeueDashdamagedLogGroup', 'Arn'] }] },
    ]);
    const privateRoles = iamRolesModule.iamRoles({ ...settings, network: 'private' }).Resources;
    expect(privateRoles.RequeueDamagedRole!.Properties.Policies[0]!.PolicyDocument.Statement.flatMap((s) => s.Action)).toContain('ec2:CreateNetworkInterface');
  });
});

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseQueueDefinitions, queueDefinitions, type QueueDefinition } from '../../../../lib/queue/sqs/definitions';
import { generatedFiles, renderCloudFormation, renderLocalstackHook } from '../../../../scripts/generate-queue-artefacts';
import { parseYaml } from '../../../support/yaml';

const ROOT = path.resolve(__dirname, '../../../..');
const base: QueueDefinition = {
  name: 'pending',
  fifo: false,
  visibilityTimeoutSeconds: 420,
  functionTimeoutSeconds: 70,
  maxReceiveCount: 5,
  messageRetentionSeconds: 1209600,
  deadLetterRetentionSeconds: 1209600,
};

/** Runs the hook with a stand-in `awslocal` that records its arguments; returns each call's argv. */
function runHook(script: string): string[][] {
  const dir = mkdtempSync(path.join(tmpdir(), 'hook-'));
  try {
    const log = path.join(dir, 'calls');
    writeFileSync(
      path.join(dir, 'awslocal'),
      `#!/usr/bin/env bash
printf '%s\\0' "$@" >> "${log}"; printf '\\n' >> "${log}"
if [ "$2" = "get-queue-attributes" ]; then echo "arn:aws:sqs:us-east-1:000000000000:dlq"; else echo "http://queue"; fi
`,
    );
    chmodSync(path.join(dir, 'awslocal'), 0o755);
    writeFileSync(path.join(dir, 'hook.sh'), script);
    execFileSync('bash', [path.join(dir, 'hook.sh')], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, stdio: 'pipe' });
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\0').filter(Boolean));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function attributesOf(call: string[]): Record<string, string> {
  return JSON.parse(call[call.indexOf('--attributes') + 1]!) as Record<string, string>;
}

describe('queue definitions (queues/definitions.json)', () => {
  it('should define the five queues of the buffer layer', () => {
    expect(queueDefinitions.map((q) => q.name).sort()).toEqual(['contribution-tracking', 'donations', 'payments-init', 'pending', 'rectify']);
  });

  it('should reject a visibility timeout shorter than 6 times the function timeout', () => {
    expect(() => parseQueueDefinitions({ queues: [{ ...base, visibilityTimeoutSeconds: 419 }] })).toThrow(/at least 6 times/);
  });

  it('should reject a queue defined twice and a name with characters SQS refuses', () => {
    expect(() => parseQueueDefinitions({ queues: [base, base] })).toThrow(/defined twice/);
    expect(() => parseQueueDefinitions({ queues: [{ ...base, name: 'pending.fifo' }] })).toThrow(/queues.0.name/);
  });
});

describe('generated queue artefacts', () => {
  it('should match the committed files (run npm run queues:generate after editing queues/definitions.json)', () => {
    for (const [relative, content] of Object.entries(generatedFiles())) {
      expect({ relative, content: readFileSync(path.join(ROOT, relative), 'utf8') }).toEqual({ relative, content });
    }
  });

  it('should make the LocalStack hook create each DLQ, then its queue with the redrive policy and timeouts', () => {
    const calls = runHook(renderLocalstackHook([base, { ...base, name: 'tracking', fifo: true, maxReceiveCount: 3 }]));

    const creates = calls.filter((c) => c[1] === 'create-queue');
    expect(creates.map((c) => c[c.indexOf('--queue-name') + 1])).toEqual([
      'local-pending-dlq',
      'local-pending',
      'local-tracking-dlq.fifo',
      'local-tracking.fifo',
    ]);
    const pending = attributesOf(creates[1]!);
    expect(pending).toMatchObject({ VisibilityTimeout: '420', MessageRetentionPeriod: '1209600' });
    expect(JSON.parse(pending.RedrivePolicy!)).toEqual({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq', maxReceiveCount: 5 });
    expect(attributesOf(creates[3]!)).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'false' });
    expect(JSON.parse(attributesOf(creates[3]!).RedrivePolicy!).maxReceiveCount).toBe(3);
  });

  it('should describe every queue and DLQ in CloudFormation with the definitions’ settings', () => {
    const template = parseYaml(renderCloudFormation(queueDefinitions)) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

    for (const q of queueDefinitions) {
      // SQS requires a FIFO queue's name, and its dead-letter queue's, to end in .fifo.
      const suffix = q.fifo ? '.fifo' : '';
      const queue = Object.values(template.Resources).find((r) => r.Properties.QueueName === `\${sls:stage}-${q.name}${suffix}`);
      const dlq = Object.entries(template.Resources).find(([, r]) => r.Properties.QueueName === `\${sls:stage}-${q.name}-dlq${suffix}`);
      expect(queue?.Type).toBe('AWS::SQS::Queue');
      // Fresh deduplication ids per push, not content-based: a row requeued from damaged carries its
      // original body, which SQS would drop as a duplicate within five minutes of the first push.
      if (q.fifo) expect(queue!.Properties).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: false });
      expect(dlq).toBeDefined();
      expect(queue!.Properties.VisibilityTimeout).toBe(q.visibilityTimeoutSeconds);
      expect(q.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * q.functionTimeoutSeconds);
      expect(queue!.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq![0], 'Arn'] }, maxReceiveCount: q.maxReceiveCount });
    }
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { README, renderReadme, type QueueResult, type StoredPipelineResult } from '../../../scripts/bench-readme';

describe('the README benchmark tables', () => {
  it('should be exactly what bench/results gives (run npm run bench:readme after a benchmark run)', () => {
    const readme = readFileSync(README, 'utf8');

    expect(renderReadme(readme)).toBe(readme);
  });

  it('should render every target and row of a result, with its date and machine', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-readme-'));
    const result: QueueResult = {
      date: '2026-12-01T10:00:00.000Z',
      machine: '2 × Test CPU, 24 GiB, Node v20',
      messages: 100_000,
      serial: 10_000,
      rows: [{ scenario: 'push, concurrency 64', ours: 90_000, baselineName: 'BullMQ add', baseline: 20_000 }],
      targets: [{ name: 'push c64 vs BullMQ add c64', display: '4.50×', goal: '≥ 3×', pass: true }],
    };
    writeFileSync(path.join(dir, 'queue.json'), JSON.stringify(result));

    const rendered = renderReadme('before\n<!-- bench:queue:start -->\nold\n<!-- bench:queue:end -->\nafter', dir);
    rmSync(dir, { recursive: true });

    expect(rendered).toContain('on 2026-12-01, 2 × Test CPU, 24 GiB, Node v20');
    expect(rendered).toContain('| push c64 vs BullMQ add c64 | 4.50× | ≥ 3× | PASS |');
    expect(rendered).toContain('| push, concurrency 64 | 90,000 | BullMQ add | 20,000 | 4.50× |');
    expect(rendered).not.toContain('old');
    expect(rendered.endsWith('<!-- bench:queue:end -->\nafter')).toBe(true);
  });

  it('should render each pipeline result with its date, machine, size and verdict, and name the results that are missing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-readme-'));
    const tracking: StoredPipelineResult = {
      date: '2026-12-02T07:00:00.000Z',
      machine: '2 × Test CPU, 24 GiB, Node v20',
      benchmark: 'tracking: queue → MariaDB',
      size: '20,000 messages',
      rounds: 3,
      unit: 'msg/s',
      ours: 12_000,
      baselineName: 'bulk insert of the same rows',
      baseline: 20_000,
      ratioGoal: 0.6,
    };
    const impressions: StoredPipelineResult = { ...tracking, benchmark: 'impressions: Kafka → MariaDB', rounds: 1, unit: 'events/s', ours: 30_000, baseline: 100_000 };
    writeFileSync(path.join(dir, 'tracking.json'), JSON.stringify(tracking));
    writeFileSync(path.join(dir, 'impressions.json'), JSON.stringify(impressions));

    const rendered = renderReadme('before\n<!-- bench:pipelines:start -->\nold\n<!-- bench:pipelines:end -->\nafter', dir);
    rmSync(dir, { recursive: true });

    expect(rendered).toContain(
      '| tracking: queue → MariaDB | 2026-12-02, 2 × Test CPU, 24 GiB, Node v20 | 20,000 messages, 3 rounds | 12,000 msg/s | bulk insert of the same rows: 20,000 msg/s | 0.60 | ≥ 0.6 | PASS |',
    );
    expect(rendered).toContain('| impressions: Kafka → MariaDB | 2026-12-02, 2 × Test CPU, 24 GiB, Node v20 | 20,000 messages, 1 round | 30,000 events/s | bulk insert of the same rows: 100,000 events/s | 0.30 | ≥ 0.6 | MISS |');
    expect(rendered.indexOf('tracking: queue')).toBeLessThan(rendered.indexOf('impressions: Kafka'));
    expect(rendered).toContain('Not measured yet (no result file): `pending`.');
    expect(rendered).not.toContain('old');
    expect(rendered.endsWith('<!-- bench:pipelines:end -->\nafter')).toBe(true);
  });

  it("should render a benchmark's further figures of the same run as rows of their own, with the run's date and machine", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-readme-'));
    const pending: StoredPipelineResult = {
      date: '2026-12-02T07:00:00.000Z',
      machine: '2 × Test CPU, 24 GiB, Node v20',
      benchmark: 'pending: consume-pending',
      size: '10,000 messages',
      rounds: 3,
      unit: 'msg/s',
      ours: 1_600,
      baselineName: 'multi-row INSERT',
      baseline: 3_200,
      ratioGoal: 0.8,
      more: [{ benchmark: 'pending: rectify-orphans, 8 at once', size: '200 orphans', rounds: 3, unit: 'orders/s', ours: 40, baselineName: 'one at a time', baseline: 8, ratioGoal: 4 }],
    };
    writeFileSync(path.join(dir, 'pending.json'), JSON.stringify(pending));

    const rendered = renderReadme('<!-- bench:pipelines:start -->\n<!-- bench:pipelines:end -->', dir);
    rmSync(dir, { recursive: true });

    expect(rendered).toContain('| pending: consume-pending | 2026-12-02, 2 × Test CPU, 24 GiB, Node v20 | 10,000 messages, 3 rounds | 1,600 msg/s | multi-row INSERT: 3,200 msg/s | 0.50 | ≥ 0.8 | MISS |');
    expect(rendered).toContain('| pending: rectify-orphans, 8 at once | 2026-12-02, 2 × Test CPU, 24 GiB, Node v20 | 200 orphans, 3 rounds | 40 orders/s | one at a time: 8 orders/s | 5.00 | ≥ 4 | PASS |');
  });
});

import { describeResults, formatSummary, progressLine, RunTally, type RunSummary } from '../../../scripts/local-run/summary';

const emptyStats = { ready: 0, inFlight: 0, delayed: 0, dead: 0, oldestAgeSeconds: null };

function summary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    trafficSeconds: 30,
    ratePerKind: 20,
    drainSeconds: 1.5,
    totalSeconds: 62.4,
    queues: [
      { queue: 'pending', pushed: 627, pushedByJobs: 1, consumed: { processed: 628, succeeded: 569, dropped: 57, damaged: 2, retryScheduled: 0 }, now: emptyStats },
      { queue: 'donations', note: 'drained by a CRM stand-in', pushed: 1, pushedByJobs: 12, consumed: { processed: 12, succeeded: 12, dropped: 0, damaged: 0, retryScheduled: 0 }, now: emptyStats },
    ],
    topics: [{ topic: 'centralnotice-impressions', produced: 601, loaded: 601, lag: 0 }],
    functions: [{ name: 'consume-pending', driven: 15, scheduled: 1, failed: 0, abandoned: 0, results: { processed: 628 } }],
    tables: [
      { table: 'pending', rows: 449 },
      { table: 'contribution_tracking_event', rows: 1048 },
    ],
    damagedByQueue: { pending: 2 },
    http: { '202': 600, '401': 1 },
    problems: [],
    notes: ['a note'],
    ...overrides,
  };
}

describe('local run summary', () => {
  it('should print one aligned row per queue, topic, function and table, and the result', () => {
    const text = formatSummary(summary());

    expect(text).toContain('Local run: 30 s of traffic at 20/s per kind; drained 1.5 s after the traffic stopped; 62.4 s in all.');
    expect(text.split('\n')).toContain('  queue        pushed  by jobs  consumed   ok  dropped  damaged  retry  ready  in flight  delayed  dead');
    expect(text.split('\n')).toContain('  pending         627        1       628  569       57        2      0      0          0        0     0');
    expect(text).toContain('  donations *');
    expect(text).toContain('  * donations: drained by a CRM stand-in');
    expect(text).toMatch(/^ {2}centralnotice-impressions +601 +601 +0$/m);
    expect(text).toMatch(/^ {2}consume-pending +15 +1 +0 {2}processed 628$/m);
    expect(text).toMatch(/^ {2}contribution_tracking_event {2}1048$/m);
    expect(text.split('\n')).toContain('  pending                       449');
    expect(text).toContain('Tracking endpoint answers: 600 x 202, 1 x 401');
    expect(text).toContain('Rows in damaged by original queue: pending: 2');
    expect(text).toContain('Note: a note');
    expect(text.trimEnd().split('\n').pop()).toBe('Result: every queue drained to zero, every topic loaded, every table filled.');
  });

  it('should end with the problems when the run failed', () => {
    const text = formatSummary(summary({ drainSeconds: null, problems: ['table project is empty', 'pending: 3 ready'] }));

    expect(text).toContain('; NOT drained;');
    expect(text.trimEnd().split('\n').slice(-3)).toEqual(['Result: FAILED', '  - table project is empty', '  - pending: 3 ready']);
  });

  it('should describe nested results grouped by their parent', () => {
    expect(describeResults({ 'gateways.ingenico.attempted': 12, 'gateways.ingenico.outcomes.approved': 4, 'gateways.paypal_ec.outcomes.discarded': 4, 'gateways.paypal_ec.attempted': 0 })).toBe(
      'ingenico: attempted 12, approved 4; paypal_ec: discarded 4',
    );
    expect(describeResults({ requeued: 1, unrequeueable: 0, 'byQueue.pending': 1 })).toBe('requeued 1; byQueue: pending 1');
    expect(describeResults({ expired: 0 })).toBe('-');
  });

  it('should keep one progress line with what was pushed, what waits and the rows', () => {
    expect(progressLine(12.4, { pending: 40, banner: 60 }, { pending: 3 }, { pending: 37 })).toBe('[ 12 s] pushed: pending 40 banner 60 | waiting: pending 3 | rows: pending 37');
  });
});

describe('RunTally', () => {
  it('should sum the numeric results of driven invocations and count scheduled ones apart', () => {
    const tally = new RunTally();

    tally.invocationStarted('rectify-orphans');
    tally.invocation('rectify-orphans', { ok: true, payload: { gateways: { ingenico: { attempted: 2, outcomes: { approved: 1 }, stoppedBecause: 'empty' } } } });
    tally.invocationStarted('rectify-orphans');
    tally.invocation('rectify-orphans', { ok: true, payload: { gateways: { ingenico: { attempted: 3, outcomes: { approved: 2 } } } } });
    tally.invocation('rectify-orphans', { ok: true, payload: null, scheduled: true });

    expect(tally.functions.get('rectify-orphans')).toEqual({
      driven: 2,
      scheduled: 1,
      failed: 0,
      abandoned: 0,
      results: { 'gateways.ingenico.attempted': 5, 'gateways.ingenico.outcomes.approved': 3 },
    });
  });

  it('should keep the first line of a failure and count runs still going at the end as abandoned', () => {
    const tally = new RunTally();

    tally.invocationStarted('load-impressions');
    tally.invocation('load-impressions', { ok: false, payload: { errorType: 'InfrastructureError', errorMessage: 'Kafka is down\n    at stack' } });
    tally.invocationStarted('load-impressions');

    expect(tally.functions.get('load-impressions')).toMatchObject({ driven: 1, failed: 1, abandoned: 1, lastError: 'InfrastructureError: Kafka is down' });
  });

  it('should add up consumer runs per queue', () => {
    const tally = new RunTally();

    tally.consumerRun('pending', { processed: 3, succeeded: 2, damaged: 1 });
    tally.consumerRun('pending', { processed: 1, succeeded: 0, dropped: 1 });

    expect(tally.consumed.get('pending')).toEqual({ processed: 4, succeeded: 2, dropped: 1, damaged: 1, retryScheduled: 0 });
  });
});

import { describeResults, formatSummary, lifecycleSummary, orderKeyOf, progressLine, RunTally, type ObservedOrder, type OrderRef, type RunSummary } from '../../../scripts/local-run/summary';

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

/** A run's tally with one orphan of each end at ingenico, two at adyen, one completion per path and one duplicated order. */
function lifecycleTally(): RunTally {
  const tally = new RunTally();
  tally.orphans.push(
    { gateway: 'ingenico', orderId: '1.1', expect: 'donation' },
    { gateway: 'ingenico', orderId: '2.1', expect: 'cancelled' },
    { gateway: 'ingenico', orderId: '3.1', expect: 'for-people' },
    { gateway: 'adyen', orderId: '4.1', expect: 'donation' },
    { gateway: 'adyen', orderId: '5.1', expect: 'discarded' },
  );
  tally.completions.push({ gateway: 'adyen', orderId: '6.1', via: 'endpoint' }, { gateway: 'ingenico', orderId: '7.1', via: 'queue' });
  tally.duplicates.push({ gateway: 'ingenico', orderId: '1.1' }, { gateway: 'adyen', orderId: '6.1' }, { gateway: 'adyen', orderId: '8.1' });
  // Two runs of ingenico: the first met a processor failure on 1.1, the second settled it.
  tally.rectifierRun('ingenico', 'worldline', { 'retry-scheduled': 1, cancelled: 1, 'held-for-review': 1 });
  tally.rectifierRun('ingenico', 'worldline', { approved: 1 });
  tally.rectifierRun('adyen', 'adyen', { finished: 1, discarded: 1 });
  tally.donation('ingenico', '1.1');
  tally.donation('adyen', '4.1');
  return tally;
}

function observed(overrides: Record<string, Partial<ObservedOrder>> = {}): Map<string, ObservedOrder> {
  const orders: OrderRef[] = ['ingenico 1.1', 'ingenico 2.1', 'ingenico 3.1', 'adyen 4.1', 'adyen 5.1', 'adyen 6.1', 'ingenico 7.1', 'adyen 8.1'].map((key) => {
    const [gateway, orderId] = key.split(' ') as [string, string];
    return { gateway, orderId };
  });
  const settled = new Set(['adyen 6.1', 'ingenico 7.1']);
  return new Map(orders.map((order) => [orderKeyOf(order), { unresolved: orderKeyOf(order) === 'adyen 8.1' ? 1 : 0, settled: settled.has(orderKeyOf(order)), ...overrides[orderKeyOf(order)] }]));
}

describe('lifecycleSummary', () => {
  it('should count per processor the orphans settled, cancelled, left for people, retried and otherwise ended', () => {
    const { summary, problems } = lifecycleSummary(lifecycleTally(), observed());

    expect(problems).toEqual([]);
    expect(summary.processors).toEqual([
      { gateway: 'ingenico', adapter: 'worldline', orphans: 3, settled: 1, cancelled: 1, forPeople: 1, retried: 1, other: 0 },
      { gateway: 'adyen', adapter: 'adyen', orphans: 2, settled: 1, cancelled: 0, forPeople: 0, retried: 0, other: 1 },
    ]);
    expect(summary.completions).toEqual({ endpoint: 1, queue: 1, absorbed: 2 });
    expect(summary.duplicates).toEqual({ messages: 3, orders: 3, secondRows: 0, secondDonations: 0 });
  });

  it('should fail the run when a processor settled no orphan, or one expected to be cancelled or left for people was not', () => {
    const tally = lifecycleTally();
    tally.rectified.set('ingenico', { adapter: 'worldline', outcomes: { 'retry-scheduled': 1 } });

    const { problems } = lifecycleSummary(tally, observed());

    expect(problems).toEqual(
      expect.arrayContaining(['no orphan was settled at ingenico (worldline)', 'no orphan was cancelled at ingenico (worldline)', 'no orphan was left for people at ingenico (worldline)']),
    );
  });

  it('should fail the run when a duplicate produced a second donation or a second row', () => {
    const tally = lifecycleTally();
    tally.donation('ingenico', '1.1');

    const { summary, problems } = lifecycleSummary(tally, observed({ 'adyen 8.1': { unresolved: 2 } }));

    expect(summary.duplicates).toMatchObject({ secondRows: 1, secondDonations: 1 });
    expect(problems).toEqual(
      expect.arrayContaining([
        'orphan 1.1 at ingenico (donation): 2 donations pushed, expected 1',
        'duplicated pending messages left 1 second rows',
        'duplicated pending messages produced 1 second donations',
      ]),
    );
  });

  it('should fail the run when an orphan did not end as it must or a completed order kept a row, was not settled or became a donation', () => {
    const tally = lifecycleTally();
    tally.donation('adyen', '5.1');
    tally.donation('ingenico', '7.1');

    const { summary, problems } = lifecycleSummary(tally, observed({ 'ingenico 3.1': { unresolved: 1 }, 'adyen 6.1': { unresolved: 1, settled: false } }));

    expect(summary.completions.absorbed).toBe(0);
    expect(problems).toEqual([
      'orphan 3.1 at ingenico: 1 pending rows left',
      'orphan 5.1 at adyen (discarded): 1 donations pushed, expected 0',
      'completed order 6.1 at adyen (endpoint): not settled, 1 pending rows left, 0 donations',
      'completed order 7.1 at ingenico (queue): settled, 0 pending rows left, 1 donations',
    ]);
  });

  it('should fail the run when no processor failure was retried', () => {
    const tally = lifecycleTally();
    tally.rectified.set('ingenico', { adapter: 'worldline', outcomes: { approved: 1, cancelled: 1, 'held-for-review': 1 } });

    expect(lifecycleSummary(tally, observed()).problems).toEqual(['no processor failure was retried']);
  });

  it('should print a row per processor and the completions and duplicates absorbed', () => {
    const { summary: lifecycle } = lifecycleSummary(lifecycleTally(), observed());

    const text = formatSummary(summary({ lifecycle, pendingHttp: { '200': 2 } }));

    expect(text).toContain('Orphans per processor (every rectifier run: rectify-orphans and the triggered consume-rectify)');
    expect(text.split('\n')).toContain('  gateway   processor  orphans  settled  cancelled  for people  retried  other');
    expect(text.split('\n')).toContain('  ingenico  worldline        3        1          1           1        1      0');
    expect(text).toContain('Completions: 1 through the signed endpoint, 1 as queue messages; 2 of 2 orders settled with no pending row left and no donation');
    expect(text).toContain('Duplicates: 3 duplicated or redelivered pending messages of 3 orders absorbed; 0 second rows, 0 second donations');
    expect(text).toContain('Pending endpoint answers: 2 x 200');
    expect(text.trimEnd().split('\n').pop()).toBe('Result: every queue drained to zero, every topic loaded, every table filled, every order of the pending lifecycle ended as it must.');
  });
});

describe('RunTally lifecycle counts', () => {
  it('should add up rectifier outcomes per gateway and donations per order', () => {
    const tally = new RunTally();

    tally.rectifierRun('paypal', 'paypal-orders', { finished: 1, discarded: 2 });
    tally.rectifierRun('paypal', 'paypal-orders', { finished: 1 });
    tally.donation('paypal', '9.1');
    tally.donation('paypal', '9.1');

    expect(tally.rectified.get('paypal')).toEqual({ adapter: 'paypal-orders', outcomes: { finished: 2, discarded: 2 } });
    expect(tally.donationsByOrder.get('paypal 9.1')).toBe(2);
  });
});

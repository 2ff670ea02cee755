/** serverless/console-alarms.js: the CloudWatch alarms on the console's metrics. */
import { queues } from '../../../queues/definitions.json';

// serverless/*.js are CommonJS files osls loads with require().
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { consoleAlarms } = require('../../../serverless/console-alarms.js') as {
  consoleAlarms(settings: {
    stage: string;
    namespace: string;
    thresholds: Record<string, string | number>;
    topicArn: string;
    impressionsTopics?: string[];
    metricsNamespace?: string;
    queueBackend?: string;
    impressionsTrigger?: string;
  }): {
    Resources: Record<string, { Properties: { MetricName: string; Threshold: number; Dimensions: Array<{ Name: string; Value: string }>; TreatMissingData: string; AlarmActions?: string[]; Metrics?: unknown[] } }>;
  };
};

describe('console alarms (serverless/console-alarms.js)', () => {
  const settings = { stage: 'dev', namespace: 'DonationBuffer', thresholds: { deadLetters: '50', damagedRows: 100, oldestAgeSeconds: 1800 }, topicArn: '' };

  it('should define dead-letter, damaged and oldest-age alarms for every queue, on the published dimensions, with the stage params as thresholds', () => {
    const { Resources } = consoleAlarms(settings);

    expect(Object.keys(Resources)).toHaveLength(queues.length * 3);
    expect(Resources.ConsolePaymentsInitDeadLettersAlarm!.Properties).toMatchObject({
      MetricName: 'DeadLetters',
      Threshold: 50,
      Dimensions: [
        { Name: 'service', Value: 'donation-buffer' },
        { Name: 'Stage', Value: 'dev' },
        { Name: 'Queue', Value: 'payments-init' },
      ],
    });
  });

  it('should treat missing damaged figures as breaching (the publisher is down) and notify nobody without a topic', () => {
    const { Resources } = consoleAlarms(settings);

    expect(Resources.ConsolePendingDamagedRowsAlarm!.Properties.TreatMissingData).toBe('breaching');
    expect(Resources.ConsolePendingOldestAgeAlarm!.Properties.TreatMissingData).toBe('notBreaching');
    expect(Object.values(Resources).some((r) => r.Properties.AlarmActions)).toBe(false);
  });

  it('should define one impressions lag alarm per topic on the published Topic dimension, breaching when no lag arrives', () => {
    const { Resources } = consoleAlarms({ ...settings, thresholds: { ...settings.thresholds, impressionsLag: '100000' }, impressionsTopics: ['centralnotice-impressions', 'landingpage-impressions'] });

    expect(Object.keys(Resources)).toHaveLength(queues.length * 3 + 2);
    expect(Resources.ConsoleImpressionsCentralnoticeImpressionsLagAlarm!.Properties).toMatchObject({
      MetricName: 'ImpressionsLagEvents',
      Threshold: 100000,
      TreatMissingData: 'breaching',
      Dimensions: [
        { Name: 'service', Value: 'donation-buffer' },
        { Name: 'Stage', Value: 'dev' },
        { Name: 'Topic', Value: 'centralnotice-impressions' },
      ],
    });
  });

  it('should notify the topic when the stage names one', () => {
    const { Resources } = consoleAlarms({ ...settings, topicArn: 'arn:aws:sns:us-east-1:1:ops' });

    expect(Object.values(Resources).every((r) => r.Properties.AlarmActions?.[0] === 'arn:aws:sns:us-east-1:1:ops')).toBe(true);
  });

  it("should alarm on each function of the stage's variant: its errors, and the dead letters collect-dead-letters reports", () => {
    const thresholds = { ...settings.thresholds, functionErrors: '3', deadLettered: 10 };
    const { Resources } = consoleAlarms({ ...settings, thresholds, metricsNamespace: 'DonationBuffer', queueBackend: 'sqs', impressionsTrigger: 'kafka' });

    expect(Resources.FunctionConsumePendingSqsErrorsAlarm!.Properties).toMatchObject({
      MetricName: 'Errors',
      Threshold: 3,
      TreatMissingData: 'notBreaching',
      Dimensions: [
        { Name: 'service', Value: 'donation-buffer' },
        { Name: 'Stage', Value: 'dev' },
        { Name: 'Function', Value: 'consume-pending-sqs' },
      ],
    });
    expect(Resources.FunctionConsumePendingErrorsAlarm).toBeUndefined();
    expect(Resources.FunctionImpressionsKafkaEventErrorsAlarm).toBeDefined();
    expect(Resources.FunctionCollectDeadLettersDeadLetteredAlarm!.Properties).toMatchObject({ MetricName: 'DeadLettered', Threshold: 10 });
  });

  it('should alarm on the growth of each queue\'s damaged rows as metric math over the published gauge', () => {
    const { Resources } = consoleAlarms({ ...settings, thresholds: { ...settings.thresholds, damagedGrowth: '20' } });

    expect(Resources.ConsolePaymentsInitDamagedGrowthAlarm!.Properties).toMatchObject({
      Threshold: 20,
      TreatMissingData: 'notBreaching',
      Metrics: [
        { Id: 'rows', MetricStat: { Metric: { MetricName: 'DamagedRows', Dimensions: [{ Name: 'service' }, { Name: 'Stage' }, { Name: 'Queue', Value: 'payments-init' }] }, Stat: 'Maximum' }, ReturnData: false },
        { Id: 'growth', Expression: 'DIFF(rows)', ReturnData: true },
      ],
    });
  });
});

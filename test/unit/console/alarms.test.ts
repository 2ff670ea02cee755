/** serverless/console-alarms.js: the CloudWatch alarms on the console's metrics. */
import { queues } from '../../../queues/definitions.json';

// serverless/*.js are CommonJS files osls loads with require().
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { consoleAlarms } = require('../../../serverless/console-alarms.js') as {
  consoleAlarms(settings: { stage: string; namespace: string; thresholds: Record<string, string | number>; topicArn: string; impressionsTopics?: string[] }): {
    Resources: Record<string, { Properties: { MetricName: string; Threshold: number; Dimensions: Array<{ Name: string; Value: string }>; TreatMissingData: string; AlarmActions?: string[] } }>;
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
});

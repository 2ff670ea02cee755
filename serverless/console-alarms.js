/**
 * CloudWatch alarms on the figures `console-metrics` publishes (lib/console/cloudwatch.ts), per
 * queue of queues/definitions.json and per stage, thresholds from the stage's params (included by
 * serverless.yml as `resources: - ${file(serverless/console-alarms.js)}`):
 *
 * - DeadLetters above consoleAlarmDeadLetters: messages crashed a consumer maxReceiveCount times;
 * - DamagedRows above consoleAlarmDamagedRows: failures wait for a person; missing data counts
 *   as breaching, since the metric is published every run for every queue: no data means the
 *   publisher or the database is down;
 * - OldestMessageAgeSeconds above consoleAlarmOldestAgeSeconds: a consumer is stuck (Redis
 *   stages; SQS reports no oldest age, so there the alarm sees no data and stays OK).
 *
 * - ImpressionsLagEvents above consoleAlarmImpressionsLag, per impressions topic the stage
 *   configures (IMPRESSIONS_BANNER_TOPICS / IMPRESSIONS_LANDING_PAGE_TOPICS): the loader is stuck
 *   or too slow; missing data counts as breaching (no lag published: Kafka unreachable, or the
 *   loader never started a partition).
 *
 * Each alarm notifies consoleAlarmTopicArn when that param is set, and nobody otherwise.
 */
'use strict';

const { queues } = require('../queues/definitions.json');

/** The `service` dimension lib/console/jobs.ts publishes with (Powertools' serviceName). */
const SERVICE = 'donation-buffer';

/** `payments-init` -> `PaymentsInit`. */
function pascalName(name) {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

const ALARMS = [
  { id: 'DeadLetters', metric: 'DeadLetters', threshold: 'deadLetters', missing: 'notBreaching', what: 'dead letters waiting' },
  { id: 'DamagedRows', metric: 'DamagedRows', threshold: 'damagedRows', missing: 'breaching', what: 'damaged rows waiting for a person' },
  { id: 'OldestAge', metric: 'OldestMessageAgeSeconds', threshold: 'oldestAgeSeconds', missing: 'notBreaching', what: 'seconds the oldest message has waited' },
];

/** `centralnotice-impressions` -> `CentralnoticeImpressions` (alarm ids allow letters and digits only). */
function resourceName(name) {
  return pascalName(name.replace(/[^A-Za-z0-9-]/g, '-'));
}

/** The CloudFormation resources: one AWS::CloudWatch::Alarm per queue and alarm kind, and one per impressions topic. */
function consoleAlarms({ stage, namespace, thresholds, topicArn, impressionsTopics = [] }) {
  const resources = {};
  const actions = topicArn ? { AlarmActions: [topicArn], OKActions: [topicArn] } : {};
  for (const topic of impressionsTopics) {
    resources[`ConsoleImpressions${resourceName(topic)}LagAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `donation-buffer-${stage}-impressions-${topic}-Lag`,
        AlarmDescription: `${topic}: the impressions loader is more than ${thresholds.impressionsLag} events behind (the console's impressions page shows where)`,
        Namespace: namespace,
        MetricName: 'ImpressionsLagEvents',
        Dimensions: [
          { Name: 'service', Value: SERVICE },
          { Name: 'Stage', Value: stage },
          { Name: 'Topic', Value: topic },
        ],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 2,
        Threshold: Number(thresholds.impressionsLag),
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'breaching',
        ...actions,
      },
    };
  }
  for (const { name } of queues) {
    for (const alarm of ALARMS) {
      resources[`Console${pascalName(name)}${alarm.id}Alarm`] = {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: `donation-buffer-${stage}-${name}-${alarm.id}`,
          AlarmDescription: `${name}: more than ${thresholds[alarm.threshold]} ${alarm.what} (the console shows them)`,
          Namespace: namespace,
          MetricName: alarm.metric,
          // Exactly the published dimensions (Powertools adds `service`), or the alarm sees no data.
          Dimensions: [
            { Name: 'service', Value: SERVICE },
            { Name: 'Stage', Value: stage },
            { Name: 'Queue', Value: name },
          ],
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: Number(thresholds[alarm.threshold]),
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: alarm.missing,
          ...(topicArn ? { AlarmActions: [topicArn], OKActions: [topicArn] } : {}),
        },
      };
    }
  }
  return { Resources: resources };
}

/** `banners:100,landing` -> `['banners', 'landing']` (a banner topic's sampling factor dropped). */
function topicNames(list) {
  return String(list ?? '')
    .split(',')
    .map((entry) => entry.trim().split(':')[0])
    .filter((topic) => topic !== '');
}

/** osls calls this with the stage's params resolved through `resolveVariable`. */
module.exports = async ({ resolveVariable }) =>
  consoleAlarms({
    stage: await resolveVariable('sls:stage'),
    namespace: await resolveVariable('param:consoleMetricsNamespace'),
    thresholds: {
      deadLetters: await resolveVariable('param:consoleAlarmDeadLetters'),
      damagedRows: await resolveVariable('param:consoleAlarmDamagedRows'),
      oldestAgeSeconds: await resolveVariable('param:consoleAlarmOldestAgeSeconds'),
      impressionsLag: await resolveVariable('param:consoleAlarmImpressionsLag'),
    },
    topicArn: await resolveVariable('param:consoleAlarmTopicArn'),
    impressionsTopics: [...topicNames(await resolveVariable('param:impressionsBannerTopic')), ...topicNames(await resolveVariable('param:impressionsLandingPageTopic'))],
  });
module.exports.consoleAlarms = consoleAlarms;

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

/**
 * One alarm on a metric console-metrics publishes, with exactly its dimensions (Powertools adds
 * `service`), or the alarm sees no data.
 */
function alarm({ stage, namespace, topicArn }, { name, description, metric, dimension, threshold, missing, periods }) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `donation-buffer-${stage}-${name}`,
      AlarmDescription: description,
      Namespace: namespace,
      MetricName: metric,
      Dimensions: [
        { Name: 'service', Value: SERVICE },
        { Name: 'Stage', Value: stage },
        dimension,
      ],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: periods,
      Threshold: Number(threshold),
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: missing,
      ...(topicArn ? { AlarmActions: [topicArn], OKActions: [topicArn] } : {}),
    },
  };
}

/** The CloudFormation resources: one AWS::CloudWatch::Alarm per queue and alarm kind, and one per impressions topic. */
function consoleAlarms(settings) {
  const { thresholds, impressionsTopics = [] } = settings;
  const resources = {};
  for (const { name } of queues) {
    for (const kind of ALARMS) {
      resources[`Console${pascalName(name)}${kind.id}Alarm`] = alarm(settings, {
        name: `${name}-${kind.id}`,
        description: `${name}: more than ${thresholds[kind.threshold]} ${kind.what} (the console shows them)`,
        metric: kind.metric,
        dimension: { Name: 'Queue', Value: name },
        threshold: thresholds[kind.threshold],
        missing: kind.missing,
        periods: 1,
      });
    }
  }
  for (const topic of impressionsTopics) {
    // Two periods: a loader run that has just started is behind by a batch for a moment.
    resources[`ConsoleImpressions${resourceName(topic)}LagAlarm`] = alarm(settings, {
      name: `impressions-${topic}-Lag`,
      description: `${topic}: the impressions loader is more than ${thresholds.impressionsLag} events behind (the console's impressions page shows where)`,
      metric: 'ImpressionsLagEvents',
      dimension: { Name: 'Topic', Value: topic },
      threshold: thresholds.impressionsLag,
      missing: 'breaching',
      periods: 2,
    });
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

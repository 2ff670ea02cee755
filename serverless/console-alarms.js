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
 * - growth of DamagedRows (metric math DIFF over two 5-minute maxima) above
 *   consoleAlarmDamagedGrowth, per queue: rows are arriving faster than people clear them, long
 *   before the total reaches consoleAlarmDamagedRows (every path that writes `damaged`, on either
 *   backend, shows in the one gauge).
 *
 * And on every function's per-invocation metrics (lib/runtime/invocation-metrics.ts, namespace
 * metricsNamespace, dimension `Function`), for the functions the stage deploys (its queue backend
 * and impressions trigger, as serverless/iam-roles.js lists them); none where metricsNamespace is
 * empty (local: no metrics are written):
 *
 * - Errors summed over 5 minutes above consoleAlarmFunctionErrors, per function: invocations
 *   threw (a database or Redis down, a bug); no invocations is no errors;
 * - DeadLettered summed over an hour above consoleAlarmDeadLettered: messages that crashed a
 *   consumer maxReceiveCount times and were collected into `damaged` (collect-dead-letters, the
 *   one function that reports them).
 *
 * Each alarm notifies consoleAlarmTopicArn when that param is set, and nobody otherwise.
 */
'use strict';

const { queues } = require('../queues/definitions.json');
const { functionsOf } = require('./iam-roles.js');

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
function alarm({ stage, namespace, topicArn }, { name, description, metric, dimension, threshold, missing, periods, statistic = 'Maximum', period = 300 }) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `donation-buffer-${stage}-${name}`,
      AlarmDescription: description,
      Namespace: namespace,
      MetricName: metric,
      Dimensions: dimensionsOf(stage, dimension),
      Statistic: statistic,
      Period: period,
      EvaluationPeriods: periods,
      Threshold: Number(threshold),
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: missing,
      ...notifying(topicArn),
    },
  };
}

/** The dimensions a published metric carries: Powertools' `service`, the default `Stage`, and its own. */
function dimensionsOf(stage, dimension) {
  return [
    { Name: 'service', Value: SERVICE },
    { Name: 'Stage', Value: stage },
    dimension,
  ];
}

function notifying(topicArn) {
  return topicArn ? { AlarmActions: [topicArn], OKActions: [topicArn] } : {};
}

/**
 * How much a queue's DamagedRows grew between two 5-minute maxima (metric math DIFF): a gauge's
 * growth, which no statistic of the gauge itself gives. Missing data is not breaching: the
 * DamagedRows alarm already fires when the figures stop.
 */
function damagedGrowthAlarm({ stage, namespace, topicArn, thresholds }, queueName) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `donation-buffer-${stage}-${queueName}-DamagedGrowth`,
      AlarmDescription: `${queueName}: more than ${thresholds.damagedGrowth} new damaged rows within 5 minutes (the console's damaged page shows them)`,
      Metrics: [
        {
          Id: 'rows',
          MetricStat: { Metric: { Namespace: namespace, MetricName: 'DamagedRows', Dimensions: dimensionsOf(stage, { Name: 'Queue', Value: queueName }) }, Period: 300, Stat: 'Maximum' },
          ReturnData: false,
        },
        { Id: 'growth', Expression: 'DIFF(rows)', Label: 'new damaged rows', ReturnData: true },
      ],
      EvaluationPeriods: 1,
      Threshold: Number(thresholds.damagedGrowth),
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ...notifying(topicArn),
    },
  };
}

/** The alarms on every deployed function's per-invocation metrics (none without a metrics namespace). */
function functionAlarms({ stage, metricsNamespace, topicArn, thresholds, queueBackend, impressionsTrigger }) {
  const resources = {};
  if (!metricsNamespace) return resources;
  const settings = { stage, namespace: metricsNamespace, topicArn };
  for (const name of functionsOf({ queueBackend, impressionsTrigger })) {
    resources[`Function${pascalName(name)}ErrorsAlarm`] = alarm(settings, {
      name: `${name}-Errors`,
      description: `${name}: more than ${thresholds.functionErrors} failed invocations within 5 minutes (its log says why)`,
      metric: 'Errors',
      dimension: { Name: 'Function', Value: name },
      threshold: thresholds.functionErrors,
      missing: 'notBreaching',
      periods: 1,
      statistic: 'Sum',
    });
  }
  resources.FunctionCollectDeadLettersDeadLetteredAlarm = alarm(settings, {
    name: 'collect-dead-letters-DeadLettered',
    description: `more than ${thresholds.deadLettered} dead letters collected into damaged within an hour (the console's damaged page shows them)`,
    metric: 'DeadLettered',
    dimension: { Name: 'Function', Value: 'collect-dead-letters' },
    threshold: thresholds.deadLettered,
    missing: 'notBreaching',
    periods: 1,
    statistic: 'Sum',
    period: 3600,
  });
  return resources;
}

/**
 * The CloudFormation resources: one AWS::CloudWatch::Alarm per queue and alarm kind (and its
 * damaged growth where consoleAlarmDamagedGrowth is given), one per impressions topic, and those
 * on the functions' per-invocation metrics where a metrics namespace is given.
 */
function consoleAlarms(settings) {
  const { thresholds, impressionsTopics = [] } = settings;
  const resources = {};
  for (const { name } of queues) {
    if (thresholds.damagedGrowth !== undefined) resources[`Console${pascalName(name)}DamagedGrowthAlarm`] = damagedGrowthAlarm(settings, name);
  }
  Object.assign(resources, functionAlarms(settings));
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
      damagedGrowth: await resolveVariable('param:consoleAlarmDamagedGrowth'),
      functionErrors: await resolveVariable('param:consoleAlarmFunctionErrors'),
      deadLettered: await resolveVariable('param:consoleAlarmDeadLettered'),
    },
    metricsNamespace: await resolveVariable('param:metricsNamespace'),
    queueBackend: await resolveVariable('param:queueBackend'),
    impressionsTrigger: await resolveVariable('param:impressionsTrigger'),
    topicArn: await resolveVariable('param:consoleAlarmTopicArn'),
    impressionsTopics: [...topicNames(await resolveVariable('param:impressionsBannerTopic')), ...topicNames(await resolveVariable('param:impressionsLandingPageTopic'))],
  });
module.exports.consoleAlarms = consoleAlarms;

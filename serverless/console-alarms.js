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

/** The CloudFormation resources: one AWS::CloudWatch::Alarm per queue and alarm kind. */
function consoleAlarms({ stage, namespace, thresholds, topicArn }) {
  const resources = {};
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

/** osls calls this with the stage's params resolved through `resolveVariable`. */
module.exports = async ({ resolveVariable }) =>
  consoleAlarms({
    stage: await resolveVariable('sls:stage'),
    namespace: await resolveVariable('param:consoleMetricsNamespace'),
    thresholds: {
      deadLetters: await resolveVariable('param:consoleAlarmDeadLetters'),
      damagedRows: await resolveVariable('param:consoleAlarmDamagedRows'),
      oldestAgeSeconds: await resolveVariable('param:consoleAlarmOldestAgeSeconds'),
    },
    topicArn: await resolveVariable('param:consoleAlarmTopicArn'),
  });
module.exports.consoleAlarms = consoleAlarms;

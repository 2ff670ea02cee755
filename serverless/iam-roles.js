/**
 * One IAM role per function, with only what that function does (included by serverless.yml as
 * `resources: - ${file(serverless/iam-roles.js)}`; each function names its role with `role:`).
 *
 * Every role may write to its own function's log group. On deployed stages (param network
 * `private`) it may also manage the network interfaces Lambda puts in the VPC. On SQS (param
 * queueBackend `sqs`) it gets the queue actions of the queues it sends to, consumes or empties,
 * and nothing on the others. On Redis, Redis and MariaDB are reached over the network: no IAM.
 * The Kafka event source's role reads the SASL secret and manages the event source's network
 * interfaces.
 */
'use strict';

const { queues } = require('../queues/definitions.json');

const ALL_QUEUES = queues.map((queue) => queue.name);

/** A queue of queues/definitions.json by name; a name it does not define fails the build here. */
function queue(name) {
  if (!ALL_QUEUES.includes(name)) throw new Error(`serverless/iam-roles.js: queue ${name} is not defined in queues/definitions.json`);
  return name;
}

/**
 * What each function does with the queues: `send` pushes to them, `consume` is their SQS event
 * source, `deadLetters` reads and deletes their dead-letter queues, `purge` empties them and their
 * dead-letter queues, `stats` reads their and their dead-letter queues' counters. `kafka`: a Kafka event source.
 * The backend and trigger params decide which of these functions a stage has.
 */
const FUNCTION_ACCESS = {
  'requeue-damaged': { send: ALL_QUEUES },
  'collect-dead-letters': { deadLetters: ALL_QUEUES },
  'rectify-orphans': { send: [queue('donations')] },
  'expire-pending': {},
  'cutover-bridge': { send: [queue('pending'), queue('payments-init'), queue('donations')] },
  'track-contribution': { send: [queue('contribution-tracking')] },
  'pending-orders': {},
  'consume-pending': { backend: 'redis' },
  'consume-payments-init': { backend: 'redis' },
  'consume-contribution-tracking': { backend: 'redis' },
  'consume-rectify': { backend: 'redis' },
  'consume-pending-sqs': { backend: 'sqs', consume: [queue('pending')], send: [queue('rectify')] },
  'consume-rectify-sqs': { backend: 'sqs', consume: [queue('rectify')], send: [queue('rectify'), queue('donations')] },
  'consume-payments-init-sqs': { backend: 'sqs', consume: [queue('payments-init')] },
  'consume-contribution-tracking-sqs': { backend: 'sqs', consume: [queue('contribution-tracking')] },
  'load-impressions': { impressionsTrigger: 'schedule' },
  'impressions-kafka-event': { impressionsTrigger: 'kafka', kafka: true },
  console: { send: ALL_QUEUES, deadLetters: ALL_QUEUES, purge: ALL_QUEUES },
  'console-metrics': { stats: ALL_QUEUES },
};

const SEND_ACTIONS = ['sqs:SendMessage', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'];
// What an SQS event source mapping needs from the function's role.
const CONSUME_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'];
const DEAD_LETTER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'];
// What Lambda needs to attach a function (or a Kafka event source) to VPC subnets; these EC2
// actions do not support resource-level permissions.
const VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVpcs',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** `consume-pending-sqs` -> `ConsumePendingSqs` (the function's role is `<that>Role`). */
function pascalName(name) {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The role's logical id, as serverless.yml names it in the function's `role:`. */
function roleLogicalId(functionName) {
  return `${pascalName(functionName)}Role`;
}

/** osls's logical id of a function's log group (`requeue-damaged` -> `RequeueDashdamagedLogGroup`). */
function logGroupLogicalId(functionName) {
  const normalized = functionName.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LogGroup`;
}

/** The logical id of a queue in serverless/resources-sqs.yml (`payments-init` -> `PaymentsInitQueue`). */
function queueArn(name, deadLetter = false) {
  return { 'Fn::GetAtt': [`${pascalName(name)}${deadLetter ? 'DeadLetterQueue' : 'Queue'}`, 'Arn'] };
}

/** The functions a stage has, by its queue backend and impressions trigger. */
function functionsOf({ queueBackend, impressionsTrigger }) {
  return Object.keys(FUNCTION_ACCESS).filter((name) => {
    const access = FUNCTION_ACCESS[name];
    return (access.backend ?? queueBackend) === queueBackend && (access.impressionsTrigger ?? impressionsTrigger) === impressionsTrigger;
  });
}

/** The policy statements of one function's role. */
function statementsOf(functionName, { queueBackend, network, kafkaAccessConfigurations }) {
  const access = FUNCTION_ACCESS[functionName];
  const statements = [
    { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [{ 'Fn::GetAtt': [logGroupLogicalId(functionName), 'Arn'] }] },
  ];
  if (network === 'private' || access.kafka) statements.push({ Effect: 'Allow', Action: VPC_ACTIONS, Resource: '*' });
  if (queueBackend === 'sqs') {
    if (access.send?.length) statements.push({ Effect: 'Allow', Action: SEND_ACTIONS, Resource: access.send.map((q) => queueArn(q)) });
    if (access.consume?.length) statements.push({ Effect: 'Allow', Action: CONSUME_ACTIONS, Resource: access.consume.map((q) => queueArn(q)) });
    if (access.stats?.length) {
      statements.push({ Effect: 'Allow', Action: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'], Resource: access.stats.flatMap((q) => [queueArn(q), queueArn(q, true)]) });
    }
    if (access.purge?.length) {
      statements.push({ Effect: 'Allow', Action: ['sqs:PurgeQueue'], Resource: access.purge.flatMap((q) => [queueArn(q), queueArn(q, true)]) });
    }
    if (access.deadLetters?.length) {
      statements.push({ Effect: 'Allow', Action: DEAD_LETTER_ACTIONS, Resource: access.deadLetters.map((q) => queueArn(q, true)) });
      statements.push({ Effect: 'Allow', Action: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'], Resource: access.deadLetters.map((q) => queueArn(q)) });
    }
  }
  if (access.kafka) {
    // The event source reads the credentials (and certificates) its access configuration names.
    const secrets = Object.entries(kafkaAccessConfigurations ?? {})
      .filter(([type]) => !type.startsWith('vpc'))
      .flatMap(([, arns]) => arns);
    if (secrets.length) statements.push({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: secrets });
  }
  return statements;
}

/** The CloudFormation resources: one AWS::IAM::Role per function of the stage. */
function iamRoles(settings) {
  const resources = {};
  for (const functionName of functionsOf(settings)) {
    resources[roleLogicalId(functionName)] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
        },
        Policies: [{ PolicyName: functionName, PolicyDocument: { Version: '2012-10-17', Statement: statementsOf(functionName, settings) } }],
      },
    };
  }
  return { Resources: resources };
}

/** osls calls this with the stage's params resolved through `resolveVariable`. */
module.exports = async ({ resolveVariable }) =>
  iamRoles({
    queueBackend: await resolveVariable('param:queueBackend'),
    impressionsTrigger: await resolveVariable('param:impressionsTrigger'),
    network: await resolveVariable('param:network'),
    kafkaAccessConfigurations: await resolveVariable('param:kafkaAccessConfigurations'),
  });
module.exports.iamRoles = iamRoles;
module.exports.functionsOf = functionsOf;
module.exports.roleLogicalId = roleLogicalId;
module.exports.FUNCTION_ACCESS = FUNCTION_ACCESS;

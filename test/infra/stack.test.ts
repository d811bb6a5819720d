/**
 * Invariants of the synthesized stack, not snapshots: a snapshot churns on every
 * asset hash, while these say what must stay true. The stack is built and
 * synthesized once (bundling every function with esbuild is the slow part).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE } from '../../lambdas/adapters/dynamodb/table.ts';
import { ENV } from '../../lambdas/runtime/env-names.ts';
import { type QueueDef, withQueueDefaults } from '../../lambdas/runtime/queues.ts';
import { type HttpHandlerName, ROUTES } from '../../lambdas/runtime/routes.ts';
import type { GrillFunction } from '../../lib/constructs/grill-function.ts';
import { GrillStack } from '../../lib/grill-stack.ts';
import { REPO, useRepoTmpDir } from './tmp-dir.ts';

/** Two queues, one with every default overridden, so per-queue settings are visible. */
const QUEUES: QueueDef[] = [{ name: 'default' }, { name: 'slow', maxReceiveCount: 5, batchSize: 1, maxConcurrency: 2 }];

/** An IAM statement with its actions and resources as lists (CDK may write either as one value). */
interface Statement {
  readonly actions: readonly string[];
  readonly resources: readonly unknown[];
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const sameJson = (a: unknown) => (b: unknown) => JSON.stringify(a) === JSON.stringify(b);

let app: App;
let stack: GrillStack;
let template: Template;

useRepoTmpDir();

beforeAll(() => {
  // The same feature flags as `cdk synth`, so the tests see the template it makes.
  const { context } = JSON.parse(readFileSync(join(REPO, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  app = new App({ context });
  stack = new GrillStack(app, 'Grill', { queues: QUEUES, consoleUrl: 'https://grill.example.com' });
  template = Template.fromStack(stack);
}, 120_000);

const logicalId = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const getAtt = (construct: IConstruct, attribute: string) => ({ 'Fn::GetAtt': [logicalId(construct), attribute] });
const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
/** The synthesized Properties of a construct's resource. */
const propsOf = (construct: IConstruct) => template.toJSON().Resources[logicalId(construct)].Properties;

function jobQueue(name: string) {
  const queue = stack.pipeline.queues.get(name);
  if (queue === undefined) throw new Error(`no queue ${name}`);
  return queue;
}

function httpFunction(handler: HttpHandlerName): GrillFunction {
  const fn = stack.httpFunctions.get(handler);
  if (fn === undefined) throw new Error(`no function for ${handler}`);
  return fn;
}

/** Every statement of the policies attached to a function's role, actions as a list. */
function statementsOf(fn: GrillFunction): Statement[] {
  const role = fn.fn.role;
  if (role === undefined) throw new Error('function without a role');
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([ref(role)]) },
  });
  return Object.values(policies).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).map((s) => ({
      actions: asList(s.Action),
      resources: asList(s.Resource),
    })),
  );
}

function environmentOf(fn: GrillFunction): Record<string, unknown> {
  return propsOf(fn.fn).Environment.Variables;
}

describe('queues', () => {
  it.each(QUEUES.map(withQueueDefaults))('queue $name redrives to its own DLQ after maxReceiveCount', (def) => {
    const { queue, deadLetterQueue } = jobQueue(def.name);
    expect(propsOf(queue).RedrivePolicy).toEqual({
      deadLetterTargetArn: getAtt(deadLetterQueue, 'Arn'),
      maxReceiveCount: def.maxReceiveCount,
    });
  });

  it('every queue either has a DLQ or is one', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    const dlqTargets = new Set(
      Object.values(queues)
        .map((q) => q.Properties.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0])
        .filter((id): id is string => id !== undefined),
    );
    for (const [id, q] of Object.entries(queues)) {
      expect(q.Properties.RedrivePolicy !== undefined || dlqTargets.has(id), `${id} has no DLQ`).toBe(true);
    }
    expect(dlqTargets.size).toBe(QUEUES.length);
  });

  it("outlasts the consumer: each queue's visibility timeout exceeds the consumer's timeout", () => {
    const consumerTimeout = propsOf(stack.pipeline.consumer.fn).Timeout;
    for (const { name } of QUEUES) {
      expect(propsOf(jobQueue(name).queue).VisibilityTimeout).toBeGreaterThan(consumerTimeout);
    }
  });

  it('requires TLS and encrypts at rest on every queue, DLQs included', () => {
    const queues = Object.values(template.findResources('AWS::SQS::Queue'));
    expect(queues.every((q) => q.Properties.SqsManagedSseEnabled === true)).toBe(true);
    const denies = template.findResources('AWS::SQS::QueuePolicy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
    });
    expect(Object.keys(denies)).toHaveLength(queues.length);
  });

  it.each(QUEUES)('alarms as soon as the DLQ of $name holds a message', ({ name }) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(jobQueue(name).deadLetterQueue, 'QueueName') }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });
});

describe('consumer', () => {
  it.each(QUEUES.map(withQueueDefaults))(
    'reads $name with partial batch failures, its batch size and its maximum concurrency',
    (def) => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: getAtt(jobQueue(def.name).queue, 'Arn'),
        FunctionName: ref(stack.pipeline.consumer.fn),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: def.batchSize,
        ScalingConfig: { MaximumConcurrency: def.maxConcurrency },
      });
    },
  );

  it('has no event source mapping without partial batch failures', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(QUEUES.length);
    for (const m of mappings) {
      expect(m.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    }
  });
});

describe('functions', () => {
  it('all run Node.js 24 on arm64 with active tracing and their own log group', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    // One per route handler, the $default route's and the consumer.
    expect(functions).toHaveLength(new Set(ROUTES.map((r) => r.handler)).size + 2);
    for (const { Properties: p } of functions) {
      expect(p.Runtime).toBe('nodejs24.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.TracingConfig).toEqual({ Mode: 'Active' });
      expect(p.LoggingConfig.LogGroup.Ref).toBeDefined();
    }
    for (const { Properties: p } of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(p.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it('show cannot write the table or send to a queue', () => {
    const actions = statementsOf(httpFunction('show')).flatMap((s) => s.actions);
    expect(actions).toContain('dynamodb:GetItem');
    for (const forbidden of [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:*',
      'sqs:SendMessage',
    ]) {
      expect(actions).not.toContain(forbidden);
    }
  });

  /** Who may write the table and who may send to the queues. */
  const ACCESS: [string, () => GrillFunction, { writes: boolean; sends: boolean }][] = [
    ['enqueue', () => httpFunction('enqueue'), { writes: true, sends: true }],
    ['show', () => httpFunction('show'), { writes: false, sends: false }],
    ['retry', () => httpFunction('retry'), { writes: true, sends: true }],
    ['lock-revision', () => httpFunction('lock-revision'), { writes: true, sends: false }],
    ['unlock-revision', () => httpFunction('unlock-revision'), { writes: true, sends: false }],
    ['consumer', () => stack.pipeline.consumer, { writes: true, sends: false }],
  ];

  it.each(ACCESS)('%s gets exactly the table and queue access it needs, with the matching settings', (_, get, want) => {
    const fn = get();
    const statements = statementsOf(fn);
    const env = environmentOf(fn);
    const tableArn = getAtt(stack.table, 'Arn');

    expect(env[ENV.tableName]).toEqual(ref(stack.table));
    const tableActions = statements.filter((s) => s.resources.some(sameJson(tableArn))).flatMap((s) => s.actions);
    expect(tableActions).toContain('dynamodb:GetItem');
    expect(tableActions.includes('dynamodb:PutItem')).toBe(want.writes);

    const sendsTo = statements.filter((s) => s.actions.includes('sqs:SendMessage')).flatMap((s) => s.resources);
    expect(env[ENV.queueUrls] !== undefined).toBe(want.sends);
    for (const { name } of QUEUES) {
      expect(sendsTo.some(sameJson(getAtt(jobQueue(name).queue, 'Arn'))), `sends to ${name}`).toBe(want.sends);
    }
  });

  it('tells senders every queue URL by the name clients use', () => {
    const urls = stack.resolve(environmentOf(httpFunction('enqueue'))[ENV.queueUrls]);
    const joined = JSON.stringify(urls);
    for (const { name } of QUEUES) {
      expect(joined).toContain(`\\"${name}\\":\\"`);
      expect(joined).toContain(JSON.stringify(ref(jobQueue(name).queue)));
    }
  });

  it('grants "*" resources only for X-Ray, which has no resource-level permissions', () => {
    const fns = [...stack.httpFunctions.values(), stack.notFoundFunction, stack.pipeline.consumer];
    const wildcards = fns.flatMap(statementsOf).filter((s) => s.resources.includes('*'));
    expect(wildcards.length).toBeGreaterThan(0);
    for (const s of wildcards) {
      expect(s.actions.every((a) => a.startsWith('xray:'))).toBe(true);
    }
  });
});

describe('http api', () => {
  it.each(ROUTES)('serves $method $path with IAM authorization', (route) => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: `${route.method} ${route.path}`,
      AuthorizationType: 'AWS_IAM',
    });
  });

  it('has no route without IAM authorization', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes).toHaveLength(ROUTES.length + 1); // and $default
    expect(routes.every((r) => r.Properties.AuthorizationType === 'AWS_IAM')).toBe(true);
  });

  it("answers unmatched requests through the $default route with Grill's own function", () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', AuthorizationType: 'AWS_IAM' });
    const statements = statementsOf(stack.notFoundFunction);
    expect(statements.flatMap((s) => s.actions).some((a) => a.startsWith('dynamodb:') || a.startsWith('sqs:'))).toBe(
      false,
    );
  });

  it('integrates with Lambda using payload format 2.0', () => {
    const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration'));
    expect(integrations.length).toBeGreaterThan(0);
    expect(integrations.every((i) => i.Properties.PayloadFormatVersion === '2.0')).toBe(true);
  });

  it('writes access logs from the default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: getAtt(stack.http.accessLogs, 'Arn'),
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
    });
  });
});

describe('table', () => {
  it('uses the shared schema, on-demand, with point-in-time recovery, TTL and encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('is kept when removed from the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('stack', () => {
  it('hard-codes no physical names', () => {
    // A literal name would make two stacks in one account collide. (References
    // such as an event source mapping's FunctionName are not names we choose.)
    const nameProps = ['TableName', 'QueueName', 'FunctionName', 'RoleName', 'LogGroupName', 'AlarmName'];
    const resources = template.toJSON().Resources as Record<string, { Properties?: Record<string, unknown> }>;
    for (const [id, r] of Object.entries(resources)) {
      for (const prop of nameProps) {
        expect(typeof r.Properties?.[prop], `${id} names itself with ${prop}`).not.toBe('string');
      }
    }
  });

  it('outputs the API URL and the table name', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('TableName', { Value: ref(stack.table) });
  });

  it("passes cdk-nag's AwsSolutions checks", () => {
    // validateScope is cdk-nag 3's entry point for tests; acknowledged findings
    // are already left out. Warnings count too: any finding fails `cdk synth`.
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('explains every acknowledged finding', () => {
    const acknowledgements = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(reason.length, `reason for ${id}`).toBeGreaterThan(40);
    }
  });
});

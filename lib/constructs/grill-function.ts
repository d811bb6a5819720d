import { fileURLToPath } from 'node:url';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/runtime/env-names.ts';

/** The repository root: bundling is anchored here, whatever the current directory. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HANDLERS_DIR = fileURLToPath(new URL('../../lambdas/handlers/', import.meta.url));

/**
 * Bundled CommonJS dependencies may still call `require` for Node built-ins;
 * an ESM bundle has no `require`, so one is made from `import.meta.url`.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** How much of the table a function may touch. */
export type TableAccess = 'read' | 'readWrite';

/** Props of {@link GrillFunction}. */
export interface GrillFunctionProps {
  /** File name, without extension, under `lambdas/handlers/`; the file exports `handler`. */
  readonly handler: string;
  /**
   * How long one invocation may run.
   * @default 10 seconds: HTTP API gives up on an integration after 30 s, and a
   * handler does a few DynamoDB/SQS calls, so 10 s leaves room for a cold start.
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB; CPU grows with it.
   * @default 256: at 128 MB the cold start of an SDK-carrying bundle is about twice as slow.
   */
  readonly memorySize?: number;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /** Shown in the Lambda console. @default - none */
  readonly description?: string;
}

/**
 * Grill's one way to declare a Lambda function: Node.js 24 on arm64, bundled
 * with the local esbuild (no Docker) as minified ESM with source maps and the
 * AWS SDK inside (the SDK we test is the SDK that runs), its own log group with
 * a retention, and active X-Ray tracing.
 *
 * The role has no managed policy: it may write to its own log group and
 * nothing else until a `bind*` helper grants access, and each helper sets the
 * environment variable the handler reads, so a grant and its setting cannot
 * drift apart.
 */
export class GrillFunction extends Construct {
  /** The underlying function, for event sources and integrations. */
  readonly fn: NodejsFunction;
  /** The function's log group. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: GrillFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });

    // An own role instead of the default one, which would carry the
    // AWSLambdaBasicExecutionRole managed policy (logs on every group).
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    this.logGroup.grantWrite(role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${HANDLERS_DIR}${props.handler}.ts`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description,
      role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      environment: {
        // Stack traces point at the TypeScript sources through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        // Prefer packages' ESM builds: they tree-shake better than CommonJS.
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        bundleAwsSDK: true,
      },
    });

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing grants xray:PutTraceSegments and xray:PutTelemetryRecords, which support no ' +
        'resource-level permissions, so their resource must be "*". No other grant of this role uses "*" ' +
        '(test/infra/stack.test.ts checks that).',
    });
  }

  /** Grants `access` to the table and tells the function its name. */
  bindTable(table: ITable, access: TableAccess): void {
    if (access === 'read') {
      table.grantReadData(this.fn);
    } else {
      table.grantReadWriteData(this.fn);
    }
    this.fn.addEnvironment(ENV.tableName, table.tableName);
  }

  /**
   * Grants sending to every queue and tells the function each one's URL, as
   * the JSON object `{ queueName: queueUrl }` the handlers parse.
   */
  bindQueues(queues: ReadonlyMap<string, IQueue>): void {
    const urls: Record<string, string> = {};
    for (const [name, queue] of queues) {
      queue.grantSendMessages(this.fn);
      urls[name] = queue.queueUrl;
    }
    // The URLs are tokens until deployment; toJsonString renders them into a
    // CloudFormation join instead of a string of unresolved tokens.
    this.fn.addEnvironment(ENV.queueUrls, Stack.of(this).toJsonString(urls));
  }

  /** Sets a plain setting (no grant needed) when it has a value. */
  setEnv(name: (typeof ENV)[keyof typeof ENV], value: string | undefined): void {
    if (value !== undefined) {
      this.fn.addEnvironment(name, value);
    }
  }
}

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../lambdas/runtime/env-names.ts';
import type { QueueDef } from '../lambdas/runtime/queues.ts';
import { type HttpHandlerName, NOT_FOUND_HANDLER, ROUTES } from '../lambdas/runtime/routes.ts';
import { GrillFunction, type TableAccess } from './constructs/grill-function.ts';
import { GrillHttpApi } from './constructs/grill-http-api.ts';
import { GrillTable } from './constructs/grill-table.ts';
import { JobPipeline } from './constructs/job-pipeline.ts';

/** Settings of one Grill deployment (a stage). */
export interface GrillSettings {
  /** The queues clients may name, each with its DLQ; at least one. */
  readonly queues: readonly QueueDef[];
  /** Base URL of the web console, for `html_url` in responses. @default - handlers fall back to their own default */
  readonly consoleUrl?: string;
  /** Reject enqueues for an application/job with no job definition. @default - the handler's default */
  readonly verifyEnqueuedJobs?: boolean;
  /** Execution ids one consumer reserves per counter update. @default - the handler's default */
  readonly idBlockSize?: number;
}

/** Props of {@link GrillStack}. */
export interface GrillStackProps extends StackProps, GrillSettings {}

/**
 * What each HTTP handler may touch. Keyed by every handler name, so a new
 * route's handler does not type-check until someone decides its access here.
 */
const HTTP_ACCESS: Record<HttpHandlerName, { readonly table: TableAccess; readonly sends: boolean }> = {
  enqueue: { table: 'readWrite', sends: true },
  show: { table: 'read', sends: false },
  retry: { table: 'readWrite', sends: true },
  'lock-revision': { table: 'readWrite', sends: false },
  'unlock-revision': { table: 'readWrite', sends: false },
};

/** Grill in one stack: table, queues with their consumer, and the HTTP API. */
export class GrillStack extends Stack {
  /** Executions, retries, apps, job definitions and counters. */
  readonly table: Table;
  /** Queues, DLQs, alarms and the consumer. */
  readonly pipeline: JobPipeline;
  /** The function serving each HTTP handler. */
  readonly httpFunctions: ReadonlyMap<HttpHandlerName, GrillFunction>;
  /** Serves the catch-all `$default` route. */
  readonly notFoundFunction: GrillFunction;
  /** The HTTP API and its access logs. */
  readonly http: GrillHttpApi;

  constructor(scope: Construct, id: string, props: GrillStackProps) {
    super(scope, id, props);

    this.table = new GrillTable(this, 'Data').table;

    this.pipeline = new JobPipeline(this, 'Jobs', { queues: props.queues, table: this.table });
    this.pipeline.consumer.setEnv(ENV.idBlockSize, props.idBlockSize?.toString());
    const queues = new Map<string, IQueue>([...this.pipeline.queues].map(([name, q]) => [name, q.queue]));

    const httpFunctions = new Map<HttpHandlerName, GrillFunction>();
    for (const handler of new Set(ROUTES.map((r) => r.handler))) {
      const access = HTTP_ACCESS[handler];
      const fn = new GrillFunction(this, constructId(handler), { handler, description: `HTTP: ${handler}` });
      fn.bindTable(this.table, access.table);
      if (access.sends) {
        fn.bindQueues(queues);
      }
      fn.setEnv(ENV.consoleUrl, props.consoleUrl);
      if (handler === 'enqueue') {
        fn.setEnv(ENV.verifyEnqueuedJobs, props.verifyEnqueuedJobs?.toString());
      }
      httpFunctions.set(handler, fn);
    }
    this.httpFunctions = httpFunctions;

    // Unmatched requests get Grill's 404 body instead of the gateway's own; this function touches nothing.
    this.notFoundFunction = new GrillFunction(this, 'NotFoundHandler', {
      handler: NOT_FOUND_HANDLER,
      description: 'HTTP: any unmatched route',
    });

    this.http = new GrillHttpApi(this, 'Http', {
      routes: ROUTES,
      functions: new Map([...httpFunctions].map(([handler, fn]) => [handler, fn.fn])),
      fallback: this.notFoundFunction.fn,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.http.url,
      description: 'Base URL of the HTTP API (SigV4-signed requests)',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'The DynamoDB table' });
  }
}

/** `lock-revision` -> `LockRevisionHandler`: readable, stable logical ids. */
function constructId(handler: string): string {
  return `${handler.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}Handler`;
}

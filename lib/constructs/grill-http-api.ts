import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  type HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HttpHandlerName, RouteDef } from '../../lambdas/runtime/routes.ts';

/** Props of {@link GrillHttpApi}. */
export interface GrillHttpApiProps {
  /** The routes to serve (the shared `ROUTES` list). */
  readonly routes: readonly RouteDef[];
  /** The function serving each handler named in `routes`. */
  readonly functions: ReadonlyMap<HttpHandlerName, IFunction>;
  /** Serves the catch-all `$default` route (requests no route matches). */
  readonly fallback: IFunction;
  /**
   * How long access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
}

/**
 * Access log line: JSON, one object per request. `requestId` is required by
 * API Gateway; `userArn` records which IAM principal signed the request.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTimeEpoch',
    ip: '$context.identity.sourceIp',
    userArn: '$context.identity.userArn',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latency: '$context.responseLatency',
    integrationError: '$context.integrationErrorMessage',
  }),
);

/**
 * The HTTP API (payload format 2.0) that speaks Barbeque's API. Every route
 * requires SigV4-signed requests (IAM authorization) unless a route says
 * otherwise, and the default stage writes access logs.
 */
export class GrillHttpApi extends Construct {
  readonly api: HttpApi;
  /** The `$default` stage: its URL has no stage prefix. */
  readonly stage: HttpStage;
  /** Where the stage writes one JSON line per request. */
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: GrillHttpApiProps) {
    super(scope, id);

    this.api = new HttpApi(this, 'Api', {
      description: "Grill: Barbeque's job queue API",
      defaultAuthorizer: new HttpIamAuthorizer(),
      defaultIntegration: new HttpLambdaIntegration('fallback-integration', props.fallback, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
      // The automatic default stage cannot take access log settings; ours below can.
      createDefaultStage: false,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });

    // One integration per function, shared by the routes it serves.
    const integrations = new Map<HttpHandlerName, HttpLambdaIntegration>();
    for (const route of props.routes) {
      let integration = integrations.get(route.handler);
      if (integration === undefined) {
        const fn = props.functions.get(route.handler);
        if (fn === undefined) {
          throw new Error(`No function for handler "${route.handler}" (${route.method} ${route.path}).`);
        }
        integration = new HttpLambdaIntegration(`${route.handler}-integration`, fn, {
          payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
        });
        integrations.set(route.handler, integration);
      }
      this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
    }
  }

  /** The base URL clients call. */
  get url(): string {
    return this.stage.url;
  }
}

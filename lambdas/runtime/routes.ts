/**
 * The HTTP routes and the handler module serving each. The CDK stack turns
 * this list into API Gateway routes and one function per handler; the local
 * server matches requests against the same list, so they cannot drift.
 */
export interface RouteDef {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway route path; `{name}` is a path parameter. */
  readonly path: string;
  /** File name (without extension) under `lambdas/handlers/`. */
  readonly handler: HttpHandlerName;
}

export type HttpHandlerName = 'enqueue' | 'show' | 'retry' | 'lock-revision' | 'unlock-revision';

export const ROUTES: readonly RouteDef[] = [
  { method: 'POST', path: '/v2/job_executions', handler: 'enqueue' },
  { method: 'GET', path: '/v1/job_executions/{message_id}', handler: 'show' },
  { method: 'POST', path: '/v1/job_executions/{message_id}/retries', handler: 'retry' },
  { method: 'POST', path: '/v1/apps/{app}/revision_lock', handler: 'lock-revision' },
  { method: 'DELETE', path: '/v1/apps/{app}/revision_lock', handler: 'unlock-revision' },
];

/**
 * The handler of API Gateway's catch-all `$default` route (and of unmatched
 * requests locally): a 404 in Grill's error shape rather than the gateway's own.
 */
export const NOT_FOUND_HANDLER = 'not-found';

/** Handler modules that are not behind an HTTP route. */
export const CONSUMER_HANDLER = 'consumer';

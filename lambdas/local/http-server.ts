import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Log } from '../domain/deps.ts';
import { errorBody } from '../http/errors.ts';
import { NOT_FOUND_HANDLER, ROUTES } from '../runtime/routes.ts';
import { lambdaContext } from './lambda-context.ts';

export type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway's own payload limit: a larger request never reaches a function. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

interface CompiledRoute {
  readonly method: string;
  readonly routeKey: string;
  readonly pattern: RegExp;
  readonly params: string[];
  readonly handler: string;
}

/**
 * Serves the API locally the way API Gateway's HTTP API does: each request
 * becomes a payload v2 event for the handler of its route (from the same
 * route table the stack uses). Listens on loopback only.
 */
export async function startHttpServer(options: {
  port: number;
  /** The handler of a route, or undefined while the stack is still starting (then 503). */
  handlers: () => Readonly<Record<string, ApiHandler>> | undefined;
  log: Log;
}): Promise<{ server: Server; url: string; stop(): Promise<void> }> {
  const routes: CompiledRoute[] = ROUTES.map((r) => {
    const params: string[] = [];
    const source = r.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      params.push(name);
      return '([^/]+)';
    });
    return {
      method: r.method,
      routeKey: `${r.method} ${r.path}`,
      pattern: new RegExp(`^${source}$`),
      params,
      handler: r.handler,
    };
  });

  const server = createServer((req, res) => {
    serve(req, res, routes, options.handlers()).catch((err: unknown) => {
      options.log.error('local http server failed', { error: String(err) });
      if (!res.headersSent) send(res, 500, JSON.stringify(errorBody('internal_error', 'internal error')));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  routes: CompiledRoute[],
  handlers: Readonly<Record<string, ApiHandler>> | undefined,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  let match: { route: CompiledRoute; values: RegExpExecArray } | undefined;
  for (const route of routes) {
    const values = route.method === method ? route.pattern.exec(url.pathname) : null;
    if (values) {
      match = { route, values };
      break;
    }
  }
  const body = await readBody(req);
  if (body === undefined) {
    return send(res, 413, JSON.stringify(errorBody('payload_too_large', 'the request body is too large')));
  }
  const handler = handlers?.[match ? match.route.handler : NOT_FOUND_HANDLER];
  if (!handler) {
    return send(res, 503, JSON.stringify(errorBody('service_unavailable', 'Grill is starting; try again')), {
      'retry-after': '1',
    });
  }

  const pathParameters: Record<string, string> = {};
  match?.route.params.forEach((name, i) => {
    pathParameters[name] = safeDecode(match.values[i + 1] as string);
  });
  const routeKey = match?.route.routeKey ?? '$default';
  const event = toEvent(req, url, method, routeKey, pathParameters, body);
  const result = await handler(event, lambdaContext(routeKey));
  send(res, result.statusCode ?? 200, result.body ?? '', result.headers);
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  routeKey: string,
  pathParameters: Record<string, string>,
  body: Buffer,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // API Gateway joins repeated query parameters with commas.
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    // Like API Gateway, a body that is not UTF-8 text is passed base64-encoded.
    ...(body.length
      ? isUtf8(body)
        ? { body: body.toString('utf8'), isBase64Encoded: false }
        : { body: body.toString('base64'), isBase64Encoded: true }
      : { isBase64Encoded: false }),
  };
}

/** Reads the body, or returns undefined once it passes API Gateway's limit. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > GATEWAY_MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, unknown> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers } as Record<string, string>);
  res.end(body);
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CommandExecutor } from '../adapters/executors/command.ts';
import type { Deps } from '../domain/deps.ts';
import { recoverAfterRestart } from '../domain/recover.ts';
import { createHandler as consumer } from '../handlers/consumer.ts';
import { createHandler as enqueue } from '../handlers/enqueue.ts';
import { createHandler as lockRevision } from '../handlers/lock-revision.ts';
import { createHandler as notFound } from '../handlers/not-found.ts';
import { createHandler as retry } from '../handlers/retry.ts';
import { createHandler as show } from '../handlers/show.ts';
import { createHandler as unlockRevision } from '../handlers/unlock-revision.ts';
import { buildDeps, clientOptions } from '../runtime/container.ts';
import { createLogger, type LogLevel } from '../runtime/logger.ts';
import { withQueueDefaults } from '../runtime/queues.ts';
import { type HttpHandlerName, NOT_FOUND_HANDLER } from '../runtime/routes.ts';
import type { GrillConfig } from './config-file.ts';
import { type Emulator, startDynamo, startSqs } from './emulators.ts';
import { type ApiHandler, startHttpServer } from './http-server.ts';
import { ensureQueues, ensureTable } from './provision.ts';
import { startPoller } from './queue-poller.ts';

export interface LocalStackOptions {
  readonly config: GrillConfig;
  /** Port of the API; 0 picks a free one. */
  readonly port?: number;
  /** Where dynalite keeps its data; in memory when absent. */
  readonly dataDir?: string;
  /** Base URL for `html_url`; the server's own address when absent. */
  readonly consoleUrl?: string;
  readonly verifyEnqueuedJobs?: boolean;
  readonly logLevel?: LogLevel;
  /** Seconds before a failed delivery is tried again (see PollerOptions). */
  readonly retryDelaySeconds?: number;
  /** How long stop() waits for running jobs. */
  readonly stopGraceMs?: number;
}

export interface LocalStack {
  /** The API's base URL, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  /** The deps the handlers run with (tests use them to look inside). */
  readonly deps: Deps;
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly sqs: SQSClient;
  readonly recovered: { resent: number; lost: number };
  stop(): Promise<void>;
}

const TABLE_NAME = 'grill';

/**
 * Boots all of Grill in this process: dynalite and fauxqs on loopback ports,
 * the table and queues the stack declares, the job definitions of the config,
 * the HTTP API and a poller per queue into the consumer. The handlers and
 * adapters are the ones that run in AWS, pointed at the emulators.
 */
export async function startLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const log = createLogger(o.logLevel);
  // Stopped in this order: the API first, then the pollers (letting running jobs end), then the emulators.
  const stoppers: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const s of stoppers.splice(0)) await s.stop().catch(() => undefined);
  };
  const emulators: Emulator[] = [];
  const stopEmulators = { stop: async () => void (await Promise.all(emulators.map((e) => e.stop()))) };
  try {
    // The server listens first, so that html_url can name its real address; it answers 503 until ready.
    let handlers: Record<HttpHandlerName | typeof NOT_FOUND_HANDLER, ApiHandler> | undefined;
    const http = await startHttpServer({ port: o.port ?? 0, handlers: () => handlers, log });
    stoppers.push(http);
    const pollers: { stop(graceMs: number): Promise<void> }[] = [];
    // Held here so that stopping can stop the jobs still running after the grace period.
    const executor = new CommandExecutor({ cwd: o.config.baseDir });
    stoppers.push(
      {
        // Let running jobs finish for the grace period, then stop them so that their runs end `error`
        // (recorded while the emulators still run) instead of being lost.
        stop: async () => {
          await Promise.all(pollers.map((p) => p.stop(o.stopGraceMs ?? 5000)));
          executor.cancelAll();
          await Promise.all(pollers.map((p) => p.stop(2000)));
        },
      },
      stopEmulators,
    );

    const dynamo = await startDynamo(o.dataDir);
    emulators.push(dynamo);
    const sqsEmulator = await startSqs();
    emulators.push(sqsEmulator);
    const ddb = new DynamoDBClient(clientOptions(dynamo.endpoint));
    const sqs = new SQSClient(clientOptions(sqsEmulator.endpoint));
    await ensureTable(ddb, TABLE_NAME);
    const queueUrls = await ensureQueues(sqs, o.config.queues);

    const deps = buildDeps(
      {
        tableName: TABLE_NAME,
        queueUrls,
        consoleUrl: (o.consoleUrl ?? http.url).replace(/\/+$/, ''),
        verifyEnqueuedJobs: o.verifyEnqueuedJobs ?? false,
        idBlockSize: 50,
        commandCwd: o.config.baseDir,
        dynamodbEndpoint: dynamo.endpoint,
        sqsEndpoint: sqsEmulator.endpoint,
        region: 'us-east-1',
      },
      log,
      { executor },
    );
    for (const app of o.config.apps) await deps.catalog.putApp(app.name, app.jobs);
    const recovered = await recoverAfterRestart(deps);

    const consumerHandler = consumer(deps);
    for (const q of o.config.queues.map(withQueueDefaults)) {
      const url = queueUrls[q.name] as string;
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      );
      const poller = startPoller({
        sqs,
        queueName: q.name,
        queueUrl: url,
        queueArn: Attributes?.QueueArn ?? '',
        consumer: consumerHandler,
        log,
        concurrency: q.maxConcurrency,
        batchSize: q.batchSize,
        retryDelaySeconds: o.retryDelaySeconds ?? 10,
      });
      pollers.push(poller);
    }

    handlers = {
      enqueue: enqueue(deps),
      show: show(deps),
      retry: retry(deps),
      'lock-revision': lockRevision(deps),
      'unlock-revision': unlockRevision(deps),
      [NOT_FOUND_HANDLER]: notFound(deps),
    };
    return { url: http.url, deps, queueUrls, sqs, recovered, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoExecutionStore } from '../adapters/dynamodb/execution-store.ts';
import { DynamoIdAllocator } from '../adapters/dynamodb/id-allocator.ts';
import { DynamoJobCatalog } from '../adapters/dynamodb/job-catalog.ts';
import { CommandExecutor } from '../adapters/executors/command.ts';
import { SqsJobQueue } from '../adapters/sqs/job-queue.ts';
import type { Deps, Log } from '../domain/deps.ts';
import type { RuntimeConfig } from './config.ts';

/**
 * SDK client options for an emulator at `endpoint` (which accepts any
 * credentials), or none for AWS, where the runtime supplies region and role.
 */
export function clientOptions(endpoint: string | undefined, region = 'us-east-1') {
  return endpoint ? { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {};
}

/**
 * The composition root: real SDK clients and adapters for one config. In AWS
 * the config comes from the environment; local mode and tests pass endpoints
 * of the emulators, and everything else is the same code.
 */
export function buildDeps(config: RuntimeConfig, log: Log, overrides: Partial<Pick<Deps, 'executor'>> = {}): Deps {
  const ddb = new DynamoDBClient(clientOptions(config.dynamodbEndpoint, config.region));
  const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient(clientOptions(config.sqsEndpoint, config.region));
  return {
    store: new DynamoExecutionStore(doc, config.tableName),
    queue: new SqsJobQueue(sqs, config.queueUrls),
    catalog: new DynamoJobCatalog(doc, config.tableName),
    idAllocator: new DynamoIdAllocator(doc, config.tableName, config.idBlockSize),
    executor: overrides.executor ?? new CommandExecutor({ cwd: config.commandCwd }),
    clock: { now: () => new Date() },
    ids: { uuid: () => randomUUID() },
    log,
    settings: { consoleUrl: config.consoleUrl, verifyEnqueuedJobs: config.verifyEnqueuedJobs },
  };
}

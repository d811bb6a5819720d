/**
 * The environment variables Grill's functions read, in one place: the CDK stack
 * sets them with these names and `config.ts` reads them with these names.
 */
export const ENV = {
  /** DynamoDB table that holds executions, retries, apps, job definitions and counters. */
  tableName: 'GRILL_TABLE_NAME',
  /** JSON object mapping each queue name clients may use to its SQS queue URL. */
  queueUrls: 'GRILL_QUEUE_URLS',
  /** Base URL of the web console; `html_url` is `<base>/job_executions/<message_id>`. */
  consoleUrl: 'GRILL_CONSOLE_URL',
  /** Barbeque's name for the console host; read when GRILL_CONSOLE_URL is unset. */
  barbequeHost: 'BARBEQUE_HOST',
  /** `1`/`true`: reject enqueues for an application/job pair with no job definition. */
  verifyEnqueuedJobs: 'GRILL_VERIFY_ENQUEUED_JOBS',
  /** Barbeque's name for the same setting. */
  barbequeVerifyEnqueuedJobs: 'BARBEQUE_VERIFY_ENQUEUED_JOBS',
  /** How many execution ids one worker reserves with a single atomic counter update. */
  idBlockSize: 'GRILL_ID_BLOCK_SIZE',
  /** Working directory for `command` jobs (defaults to the process's own). */
  commandCwd: 'GRILL_COMMAND_CWD',
  /** Custom endpoints, used by local mode and tests only. */
  dynamodbEndpoint: 'GRILL_DYNAMODB_ENDPOINT',
  sqsEndpoint: 'GRILL_SQS_ENDPOINT',
} as const;

/** Name of the Powertools service, on every log line. */
export const SERVICE_NAME = 'grill';

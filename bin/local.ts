/**
 * `npm start`: all of Grill in one process on embedded emulators.
 * Settings: PORT (3000), GRILL_CONFIG (grill.config.json), GRILL_DATA_DIR (.grill),
 * GRILL_CONSOLE_URL or BARBEQUE_HOST, GRILL_VERIFY_ENQUEUED_JOBS, POWERTOOLS_LOG_LEVEL.
 */
import { resolve } from 'node:path';
import { ConfigFileError, loadConfigFile } from '../lambdas/local/config-file.ts';
import { DataDirInUseError } from '../lambdas/local/emulators.ts';
import { startLocalStack } from '../lambdas/local/stack.ts';
import { ConfigError, configFromEnv } from '../lambdas/runtime/config.ts';

const env = process.env;
// The SDK warns on every start that releases after January 2027 need Node 22; the lockfile pins
// a release that runs on Node 20 (see ../shared/TOOLCHAIN.md), so the warning is noise here.
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const port = Number(env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, not "${env.PORT}"`);
const configPath = resolve(env.GRILL_CONFIG ?? 'grill.config.json');
const dataDir = resolve(env.GRILL_DATA_DIR ?? '.grill');

try {
  const config = loadConfigFile(configPath);
  // The same checks the Lambda functions make of their settings.
  const settings = configFromEnv({ ...env, GRILL_TABLE_NAME: 'local' });
  const stack = await startLocalStack({
    config,
    port,
    dataDir,
    ...(settings.consoleUrl ? { consoleUrl: settings.consoleUrl } : {}),
    verifyEnqueuedJobs: settings.verifyEnqueuedJobs,
  });
  const { resent, lost } = stack.recovered;
  console.log(`Grill is running at ${stack.url}`);
  console.log(`  config: ${configPath}`);
  console.log(`  data:   ${dataDir}`);
  if (resent + lost > 0)
    console.log(`  recovered: ${resent} pending job(s) queued again, ${lost} interrupted run(s) marked error`);
  const app = config.apps.find((a) => a.jobs.length > 0);
  if (app) {
    const example = { application: app.name, job: app.jobs[0]?.job, queue: config.queues[0]?.name, message: {} };
    console.log(`Try: curl -s -X POST ${stack.url}/v2/job_executions -H 'Content-Type: application/json' \\`);
    console.log(`       -d '${JSON.stringify(example)}'`);
  }
  console.log('Press Ctrl-C to stop.');
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Grill…');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (err) {
  if (err instanceof ConfigFileError || err instanceof ConfigError || err instanceof DataDirInUseError) {
    fail(err.message);
  }
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') fail(`port ${port} is in use; set PORT to another one`);
  throw err;
}

function fail(message: string): never {
  console.error(`grill: ${message}`);
  process.exit(1);
}

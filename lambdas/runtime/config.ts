import { ENV } from './env-names.ts';

/** Settings of one Grill process, read once at cold start and checked. */
export interface RuntimeConfig {
  readonly tableName: string;
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly consoleUrl: string;
  readonly verifyEnqueuedJobs: boolean;
  readonly idBlockSize: number;
  readonly commandCwd: string;
  /** Custom endpoints (local mode and tests); absent in AWS. */
  readonly dynamodbEndpoint?: string;
  readonly sqsEndpoint?: string;
  /** The AWS region; a placeholder in local mode. */
  readonly region?: string;
}

/** A missing or malformed setting: the function fails at start, loudly, naming it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and checks the settings from environment variables. */
export function configFromEnv(env: NodeJS.ProcessEnv): RuntimeConfig {
  const required = (name: string) => {
    const v = env[name];
    if (!v) throw new ConfigError(`${name} must be set`);
    return v;
  };
  let queueUrls: unknown;
  try {
    queueUrls = JSON.parse(env[ENV.queueUrls] ?? '{}');
  } catch {
    throw new ConfigError(`${ENV.queueUrls} must be a JSON object of queue name to URL`);
  }
  if (
    queueUrls === null ||
    typeof queueUrls !== 'object' ||
    Array.isArray(queueUrls) ||
    !Object.values(queueUrls).every((u) => typeof u === 'string')
  ) {
    throw new ConfigError(`${ENV.queueUrls} must be a JSON object of queue name to URL`);
  }
  const blockSize = Number(env[ENV.idBlockSize] ?? '50');
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 10_000) {
    throw new ConfigError(`${ENV.idBlockSize} must be an integer from 1 to 10000`);
  }
  return Object.freeze({
    tableName: required(ENV.tableName),
    queueUrls: Object.freeze({ ...(queueUrls as Record<string, string>) }),
    consoleUrl: consoleUrlFrom(env),
    verifyEnqueuedJobs: flag(
      ENV.verifyEnqueuedJobs,
      env[ENV.verifyEnqueuedJobs] ?? env[ENV.barbequeVerifyEnqueuedJobs],
    ),
    idBlockSize: blockSize,
    commandCwd: env[ENV.commandCwd] ?? process.cwd(),
    dynamodbEndpoint: env[ENV.dynamodbEndpoint],
    sqsEndpoint: env[ENV.sqsEndpoint],
    region: env.AWS_REGION,
  });
}

/** GRILL_CONSOLE_URL, else Barbeque's BARBEQUE_HOST (a host name, served over https). */
function consoleUrlFrom(env: NodeJS.ProcessEnv): string {
  const url = env[ENV.consoleUrl] ?? (env[ENV.barbequeHost] ? `https://${env[ENV.barbequeHost]}` : undefined);
  if (!url) return '';
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`${ENV.consoleUrl} must be an absolute URL`);
  }
  return url.replace(/\/+$/, '');
}

/** An on/off setting: 1/true/yes or 0/false/no (or unset: off); anything else is a mistake to report. */
function flag(name: string, value: string | undefined): boolean {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === '' || ['0', 'false', 'no'].includes(v)) return false;
  if (['1', 'true', 'yes'].includes(v)) return true;
  throw new ConfigError(`${name} must be 1/true/yes or 0/false/no, not "${value}"`);
}

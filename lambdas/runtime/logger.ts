import { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from '../domain/deps.ts';
import { SERVICE_NAME } from './env-names.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/**
 * One Powertools logger per process, seen by the domain as its small `Log`
 * port. The level comes from POWERTOOLS_LOG_LEVEL unless given.
 */
export function createLogger(level?: LogLevel): Log {
  const logger = new Logger({ serviceName: SERVICE_NAME, ...(level ? { logLevel: level } : {}) });
  return {
    info: (message, attributes = {}) => logger.info(message, attributes),
    warn: (message, attributes = {}) => logger.warn(message, attributes),
    error: (message, attributes = {}) => logger.error(message, attributes),
  };
}

import type { Deps } from '../domain/deps.ts';
import { configFromEnv } from './config.ts';
import { buildDeps } from './container.ts';
import { createLogger } from './logger.ts';

let deps: Deps | undefined;

/** The deps of this execution environment, built on first use from the environment. */
export function depsFromEnv(): Deps {
  deps ??= buildDeps(configFromEnv(process.env), createLogger());
  return deps;
}

/**
 * A Lambda entry point that builds its handler on the first invocation, so
 * importing a handler module (in tests, in local mode) builds nothing and
 * reads no environment.
 */
export function lazyHandler<E, C, R>(create: (deps: Deps) => (event: E, context: C) => Promise<R>) {
  let built: ((event: E, context: C) => Promise<R>) | undefined;
  return (event: E, context: C): Promise<R> => {
    built ??= create(depsFromEnv());
    return built(event, context);
  };
}

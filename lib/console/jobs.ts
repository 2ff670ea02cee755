/**
 * The `console` function's job (lib/job.ts): options from configuration, each invocation one
 * HTTP request through the web console (hono/aws-lambda). The app is built once per runtime.
 */
import { handle, type LambdaEvent } from 'hono/aws-lambda';
import { defineJob } from '../job';
import { consoleWebConfig } from './config';
import { consoleOptions, createConsoleOperations, type ConsoleDeps, type ConsoleOptions } from './operations';
import { createConsoleApp } from './web/app';
import type { WebAuthOptions } from './web/auth';

/** Web console options: the operations' and how callers are identified. */
export interface ConsoleWebOptions extends ConsoleOptions {
  auth: WebAuthOptions;
}

/** The web options from configuration; CONSOLE_TOKEN is required. */
export function consoleWebOptions(): ConsoleWebOptions {
  const web = consoleWebConfig();
  return { ...consoleOptions(), auth: { mode: web.CONSOLE_AUTH, secret: web.CONSOLE_TOKEN, sessionHours: web.CONSOLE_SESSION_HOURS } };
}

/** The console app over `deps`: what the function and the local process serve. */
export function consoleAppFor(deps: ConsoleDeps, options: ConsoleWebOptions) {
  return createConsoleApp(createConsoleOperations(deps, options), options.auth, deps.logger);
}

const handlers = new WeakMap<ConsoleDeps, ReturnType<typeof handle>>();

/** `console`: one HTTP API request (`/console`, `/console/{proxy+}`). */
export const consoleHttpJob = defineJob({
  options: consoleWebOptions,
  run: (deps: ConsoleDeps, options, event: LambdaEvent) => {
    let handler = handlers.get(deps);
    if (!handler) {
      handler = handle(consoleAppFor(deps, options));
      handlers.set(deps, handler);
    }
    return handler(event);
  },
});

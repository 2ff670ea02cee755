/**
 * Settings of the operators' console (docs/architecture.md §10). Two loaders, as in
 * lib/tracking/config.ts: the CLI needs the limits but not the web's secret, which only the
 * console function and the local console process read.
 */
import * as z from 'zod';
import { defineConfig, env } from '../config';

/** Limits of the console's actions, shared by the web console and the CLI. */
export const consoleConfig = defineConfig({
  /** Dead letters moved back per second by one redrive (so that a consumer is not flooded). */
  CONSOLE_REDRIVE_PER_SECOND: env.int(50, { min: 1, max: 1000 }),
  /** Most dead letters one redrive moves: at the rate above it stays inside the HTTP API's 30 s. */
  CONSOLE_REDRIVE_MAX: env.int(500, { min: 1, max: 10_000 }),
  /** Most rows one bulk resend (or its dry run, or a download) covers. */
  CONSOLE_BULK_LIMIT: env.int(500, { min: 1, max: 5000 }),
  /** Rows per page of a damaged search. */
  CONSOLE_PAGE_SIZE: env.int(50, { min: 1, max: 500 }),
});

/** How the web console knows who is asking. */
export const consoleWebConfig = defineConfig({
  /**
   * `token`: operators sign in with CONSOLE_TOKEN (locally; also `Authorization: Bearer`).
   * `jwt`: the HTTP API's JWT authorizer has checked the caller (deployed stages); the console
   * takes the caller's name from the token's claims.
   */
  CONSOLE_AUTH: env.oneOf(['token', 'jwt'] as const, 'token'),
  /**
   * The sign-in token (mode `token`) and, in both modes, the key that signs session cookies and
   * CSRF tokens. A secret: never logged, never rendered.
   */
  CONSOLE_TOKEN: z.string({ message: 'is required (the console sign-in token; at least 16 characters)' }).min(16, 'must be at least 16 characters'),
  /** How long a sign-in lasts. */
  CONSOLE_SESSION_HOURS: env.int(12, { min: 1, max: 168 }),
});

/**
 * The `console-metrics` function's CloudWatch namespace. serverless.yml's param
 * `consoleMetricsNamespace` is its one source: the alarms (serverless/console-alarms.js) read the
 * same param, so the code has no default of its own.
 */
export const consoleMetricsConfig = defineConfig({
  CONSOLE_METRICS_NAMESPACE: env.string().describe('CloudWatch namespace of console-metrics (from the serverless param consoleMetricsNamespace)'),
});

export type ConsoleConfig = ReturnType<typeof consoleConfig>;
export type ConsoleWebConfig = ReturnType<typeof consoleWebConfig>;

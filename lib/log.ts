/**
 * Structured JSON logs. Every record passes through the single redaction rule set in
 * `redact.ts`, whatever the caller puts in it, so donor data cannot reach a log line.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { logConfig } from './config';
import { redact, redactText } from './redact';

export type { Logger };

export interface LoggerOptions {
  /** Default: the validated LOG_LEVEL (lib/config.ts). */
  level?: string;
  /** Where lines go; standard output by default. */
  destination?: DestinationStream;
}

/** Creates a logger; `bindings` name the component (e.g. `{ component: 'consume-pending' }`). */
export function createLogger(bindings: Record<string, unknown> = {}, options: LoggerOptions = {}): Logger {
  const level = options.level ?? logConfig().LOG_LEVEL;
  const settings: pino.LoggerOptions = {
    level,
    base: { ...bindings },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (record) => redact(record) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        // Free-text messages are scanned too: an interpolated e-mail must not slip through.
        const masked = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** The process-wide logger; components derive children from it. */
export const log = createLogger();

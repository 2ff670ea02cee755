/**
 * The local stack: every service the project needs, as a list (Redis, MariaDB, Kafka: the
 * kcat mock cluster, SQS: fauxqs), and the legacy services the cutover moves off (ActiveMQ,
 * memcached). `startStack` starts them in order, reusing what is configured and reachable, and
 * stops only what it started.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { activeMqService } from './activemq';
import { kafkaService } from './kafka';
import { mariadbService } from './mariadb';
import { memcachedService } from './memcached';
import { redisService } from './redis';
import { sqsService } from './sqs';
import { ServiceMissingError, type RunningService, type StackService } from './types';

export { ServiceMissingError };
export type { RunningService, StackService };

/** The services of the local stack, in start order. */
export const STACK_SERVICES: StackService[] = [redisService, mariadbService, kafkaService, sqsService];

/**
 * The legacy services the cutover reads (docs/architecture.md §13): `npm run stack` starts them
 * after the others; the local run (`npm start`) does not need them and leaves them out.
 */
export const LEGACY_SERVICES: StackService[] = [activeMqService, memcachedService];

export interface Stack {
  services: RunningService[];
  /** Every service's environment lines, merged (REDIS_URL, DATABASE_URL, ...). */
  env: Record<string, string>;
  /** Stops the private instances (last started first) and removes their data. */
  stop(): Promise<void>;
}

export interface StartStackOptions {
  services?: StackService[];
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Parent of the per-run work directory; `.local-stack/` at the repository root by default. */
  baseDir?: string;
}

/**
 * Starts what is missing. When any service is neither reachable nor installed, stops what it
 * started and throws one ServiceMissingError-bearing error that lists every install command.
 */
export async function startStack(options: StartStackOptions = {}): Promise<Stack> {
  const services = options.services ?? STACK_SERVICES;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const baseDir = options.baseDir ?? path.resolve(__dirname, '../../.local-stack');
  mkdirSync(baseDir, { recursive: true });
  const workDir = mkdtempSync(path.join(baseDir, 'run-'));
  const env = { ...(options.env ?? process.env) };
  const running: RunningService[] = [];
  const missing: ServiceMissingError[] = [];

  const stop = async () => {
    for (const service of [...running].reverse()) {
      try {
        await service.stop();
      } catch (error) {
        log(`${service.name}: stop failed: ${(error as Error).message}`);
      }
    }
    rmSync(workDir, { recursive: true, force: true });
  };

  for (const service of services) {
    try {
      const started = await service.start({ workDir, env, log });
      running.push(started);
      Object.assign(env, started.env);
    } catch (error) {
      if (error instanceof ServiceMissingError) {
        missing.push(error);
        continue;
      }
      await stop();
      throw error;
    }
  }
  if (missing.length > 0) {
    await stop();
    throw new Error(`The local stack is incomplete. Install:\n${missing.map((m) => `  ${m.service}: ${m.installHint}`).join('\n')}`);
  }
  return {
    services: running,
    env: Object.assign({}, ...running.map((service) => service.env)) as Record<string, string>,
    stop,
  };
}

/**
 * The local stack is a list of services. Each one either reaches what is configured, or starts
 * a private loopback-only instance of an installed server, or says exactly what to install.
 */

/** A service the local stack can provide (Redis, MariaDB, and later Kafka, SQS). */
export interface StackService {
  name: string;
  /** Reuses the configured instance when reachable, else starts a private one in `workDir`. */
  start(context: StackContext): Promise<RunningService>;
}

export interface StackContext {
  /** A directory of this stack run, for private instances' data; removed on stop. */
  workDir: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface RunningService {
  name: string;
  /** Environment lines that point the project at this service (e.g. REDIS_URL). */
  env: Record<string, string>;
  /** True when this run started the instance (it stops it again). */
  private: boolean;
  stop(): Promise<void>;
}

/** A needed server is neither reachable nor installed; the message says what to install. */
export class ServiceMissingError extends Error {
  constructor(
    readonly service: string,
    readonly installHint: string,
  ) {
    super(`${service} is not reachable and not installed: ${installHint}`);
    this.name = 'ServiceMissingError';
  }
}

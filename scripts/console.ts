/**
 * `npm run console`: the web console in a local process (@hono/node-server) on the configured
 * Redis and database, with the clients the `console` function opens (lib/runtime). Prints its
 * URL; Ctrl-C stops it. CONSOLE_TOKEN is required; CONSOLE_PORT (8790) and CONSOLE_HOST
 * (127.0.0.1) say where it listens.
 */
import { serve, type ServerType } from '@hono/node-server';
import { consoleAppFor, consoleHttpJob } from '../lib/console/jobs';
import { defineConfig, env } from '../lib/config';
import { consoleClients } from '../lib/runtime/clients/console';
import { openRuntime } from '../lib/runtime/handler-runtime';

const localConsoleConfig = defineConfig({
  CONSOLE_PORT: env.int(8790, { min: 0, max: 65535 }),
  CONSOLE_HOST: env.string('127.0.0.1'),
});

export interface LocalConsole {
  url: string;
  close(): Promise<void>;
}

/** Starts the console on `port` (0: any free port); resolves once it listens. */
export async function startLocalConsole({ port, host }: { port?: number; host?: string } = {}): Promise<LocalConsole> {
  const config = localConsoleConfig();
  const runtime = openRuntime('console', consoleHttpJob, consoleClients);
  const app = consoleAppFor(runtime.deps, runtime.options);
  const server = await new Promise<ServerType>((resolve) => {
    const started: ServerType = serve({ fetch: app.fetch, port: port ?? config.CONSOLE_PORT, hostname: host ?? config.CONSOLE_HOST }, () => resolve(started));
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : (port ?? config.CONSOLE_PORT);
  return {
    url: `http://${host ?? config.CONSOLE_HOST}:${bound}/console/`,
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections (a browser's) would hold close() open.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closing;
      await runtime.close();
    },
  };
}

if (require.main === module) {
  startLocalConsole().then(
    (running) => {
      process.stdout.write(`console: ${running.url} (sign in with CONSOLE_TOKEN)\n`);
      const stop = () => void running.close().finally(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (error: Error) => {
      process.stderr.write(`console: ${error.message}\n`);
      process.exit(1);
    },
  );
}

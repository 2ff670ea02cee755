// Runs the fauxqs SQS emulator on a loopback address only. fauxqs's own CLI and startFauxqs()
// always listen on 0.0.0.0, so this launcher builds its Fastify app and listens as asked.
// Usage: node scripts/stack/fauxqs-server.mjs <port>   (0 picks a free port)
// Prints one line `listening <url>` on stdout when ready; stops on SIGTERM/SIGINT.
import { register } from 'node:module';

// Stubs node:sqlite on Node 20 and corrects fauxqs's body character check (see fauxqs-hooks.mjs).
register(new URL('./fauxqs-hooks.mjs', import.meta.url));
const { buildApp } = await import('fauxqs');

const port = Number(process.argv[2] ?? 4566);
const host = '127.0.0.1';
const app = buildApp({ logger: false, defaultRegion: process.env.AWS_REGION ?? 'us-east-1' });
const address = await app.listen({ host, port });
process.stdout.write(`listening ${address}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await app.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Die with the parent: a test runner that crashes must not leave the emulator behind.
process.on('disconnect', stop);
process.stdin.on('end', stop);
process.stdin.resume();

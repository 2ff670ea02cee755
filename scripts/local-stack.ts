/**
 * `npm run stack`: starts what of the local stack is missing, with the legacy ActiveMQ and
 * memcached of the cutover (`npm run cutover`), prints the environment lines that point the
 * project at it, and stays up until Ctrl-C, then stops the private instances.
 *
 *   npm run stack            # prints e.g. REDIS_URL=redis://127.0.0.1:6379
 */
import { LEGACY_SERVICES, STACK_SERVICES, startStack } from './stack';

async function main(): Promise<void> {
  const stack = await startStack({ services: [...STACK_SERVICES, ...LEGACY_SERVICES] });
  for (const service of stack.services) {
    process.stderr.write(`${service.name}: ${service.private ? 'private instance started' : 'using the configured instance'}\n`);
  }
  for (const [key, value] of Object.entries(stack.env)) process.stdout.write(`${key}=${value}\n`);
  process.stderr.write('local stack up; Ctrl-C stops it\n');
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  setInterval(() => undefined, 1 << 30);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});

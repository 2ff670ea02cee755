/**
 * One function of the soak, as a process of its own that the fault driver can SIGKILL: the
 * function's real handler (functions/<name>.ts), invoked again and again, as its schedule would,
 * with the run's environment. Its queue backend records what it settled (./delivery-log.ts) in
 * SOAK_DELIVERY_LOG. A failed invocation (Redis restarting, MariaDB stopped) is logged and the
 * next one starts after SOAK_RETRY_MS, as the next scheduled run would.
 *
 *   node --import tsx scripts/soak/worker.ts <function-name>
 */
import { appendFileSync } from 'node:fs';
import { queueBackendClient } from '../../lib/runtime/clients/queue-backend';
import { recordPartitionedConsumers, recordingBackend } from './delivery-log';

const name = process.argv[2];
const logFile = process.env.SOAK_DELIVERY_LOG;
if (!name || !/^[a-z-]+$/.test(name) || !logFile) throw new Error('usage: SOAK_DELIVERY_LOG=<file> worker.ts <function-name>');
const pauseMs = milliseconds('SOAK_PAUSE_MS', 200);
const retryMs = milliseconds('SOAK_RETRY_MS', 1000);

/** A whole number of milliseconds from the environment; a bad value stops the worker at once, naming it. */
function milliseconds(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${variable} must be a whole number of milliseconds, not ${JSON.stringify(raw)}`);
  return value;
}

// Before the handler module opens its runtime: its queue backend is the recording one.
const open = queueBackendClient.open.bind(queueBackendClient);
queueBackendClient.open = (context) => recordingBackend(open(context), logFile);
// A partitioned queue's consumer (contribution tracking) settles outside consumeBatches.
recordPartitionedConsumers(logFile);

async function main(): Promise<never> {
  const { handler } = (await import(`../../functions/${name}`)) as { handler: (event: unknown) => Promise<unknown> };
  // The log exists once the code is loaded: the soak starts its traffic when every worker is ready.
  appendFileSync(logFile!, '');
  for (;;) {
    try {
      await handler({});
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    } catch (error) {
      process.stderr.write(`${JSON.stringify({ msg: 'invocation failed', fn: name, err: (error as Error).message })}\n`);
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}

void main();

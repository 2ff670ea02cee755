/**
 * A legacy frontend for the cutover tests: sends messages to an ActiveMQ queue over STOMP the
 * way the legacy producers did (persistent, JSON text), and confirms each chunk with a receipt.
 * When the broker goes away it reconnects and sends the unconfirmed chunk again, so a message
 * may reach the broker twice (the legacy producers were at-least-once too), never not at all.
 */
import { Client } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function connect(host: string, port: number): Promise<Client> {
  for (;;) {
    const client = new Client({ webSocketFactory: () => new TCPWrapper(host, port), reconnectDelay: 0, heartbeatIncoming: 0, heartbeatOutgoing: 0, debug: () => undefined });
    const connected = await new Promise<boolean>((resolve) => {
      client.onConnect = () => resolve(true);
      client.onWebSocketClose = () => resolve(false);
      client.onStompError = () => resolve(false);
      client.activate();
    });
    if (connected) return client;
    await client.deactivate();
    await sleep(300);
  }
}

/** Sends `bodies` to `/queue/<queue>` in chunks, each confirmed by a receipt; `pauseMs` between chunks. */
export async function produceLegacy(url: string, queue: string, bodies: string[], { chunk = 200, pauseMs = 0 } = {}): Promise<void> {
  const { hostname, port } = new URL(url);
  let client = await connect(hostname, Number(port));
  try {
    for (let start = 0; start < bodies.length; ) {
      const slice = bodies.slice(start, start + chunk);
      const receiptId = `r-${queue}-${start}-${Date.now()}`;
      const confirmed = new Promise<boolean>((resolve) => {
        client.onWebSocketClose = () => resolve(false);
        setTimeout(() => resolve(false), 30_000).unref();
        try {
          client.watchForReceipt(receiptId, () => resolve(true));
        } catch {
          resolve(false); // the connection closed between two chunks (the broker was killed): reconnect
        }
      });
      try {
        slice.forEach((body, i) =>
          client.publish({
            destination: `/queue/${queue}`,
            body,
            headers: { persistent: 'true', 'content-type': 'application/json', ...(i === slice.length - 1 ? { receipt: receiptId } : {}) },
          }),
        );
      } catch {
        // not connected any more: resend below
      }
      if (await confirmed) {
        start += slice.length;
        if (pauseMs > 0) await sleep(pauseMs);
        continue;
      }
      await client.deactivate().catch(() => undefined);
      client = await connect(hostname, Number(port));
    }
  } finally {
    await client.deactivate().catch(() => undefined);
  }
}

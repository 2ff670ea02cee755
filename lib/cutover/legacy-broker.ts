/**
 * The legacy ActiveMQ broker as the cutover sees it: STOMP over TCP (`@stomp/stompjs` with its
 * `@stomp/tcp-wrapper`), subscriptions with `client-individual` acknowledgement, so that each
 * message leaves the broker only when its own ACK arrives, after the target holds it
 * (docs/architecture.md §13). A lost connection loses nothing: the broker redelivers every
 * message not acknowledged yet.
 */
import { Client, type IMessage, type StompHeaders } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';
import { LegacyBrokerUnavailableError } from './errors';

/** One message as the broker delivered it. */
export interface LegacyDelivery {
  /** The broker's `message-id`: stable across redeliveries. */
  messageId: string;
  /** The body exactly as the producer sent it. */
  body: string;
  /** Every STOMP header of the delivery (kept with a damaged message). */
  headers: Record<string, string>;
  /** Acknowledges this message alone; a no-op when the connection it came on is gone. */
  ack(): boolean;
}

export interface LegacyBrokerOptions {
  /** `stomp://host:port`. */
  url: string;
  login?: string;
  passcode?: string;
  /** How long connecting may take before the broker counts as down. */
  connectTimeoutMs?: number;
}

/** A connected STOMP session; `closed` resolves when the connection ends, whichever side ended it. */
export interface LegacyBrokerSession {
  /**
   * Subscribes to `/queue/<queue>` with client-individual acknowledgement and at most
   * `prefetch` unacknowledged messages in flight; `onMessage` gets each delivery.
   */
  consume(queue: string, prefetch: number, onMessage: (delivery: LegacyDelivery) => void): void;
  /**
   * Reads what `/queue/<queue>` holds without taking it (an ActiveMQ queue browser) and resolves
   * once the broker says the browse ended.
   */
  browse(queue: string, onMessage: (delivery: LegacyDelivery) => void): Promise<void>;
  readonly closed: Promise<void>;
  readonly connected: boolean;
  close(): Promise<void>;
}

function headersOf(message: IMessage): Record<string, string> {
  return { ...(message.headers as Record<string, string>) };
}

/** Connects to the legacy broker; rejects with LegacyBrokerUnavailableError when it does not answer. */
export async function connectLegacyBroker(options: LegacyBrokerOptions): Promise<LegacyBrokerSession> {
  const url = new URL(options.url);
  const host = url.hostname;
  const port = Number(url.port) || 61613;
  const connectHeaders: StompHeaders = {};
  if (options.login) connectHeaders.login = options.login;
  if (options.passcode) connectHeaders.passcode = options.passcode;
  const client = new Client({
    webSocketFactory: () => new TCPWrapper(host, port),
    connectHeaders,
    // Reconnecting is the mover's decision (it must forget the deliveries of the lost connection).
    reconnectDelay: 0,
    heartbeatIncoming: 10_000,
    heartbeatOutgoing: 10_000,
    connectionTimeout: options.connectTimeoutMs ?? 5000,
    debug: () => undefined,
  });
  let connected = false;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      markClosed();
      void client.deactivate();
      reject(new LegacyBrokerUnavailableError(`legacy broker at ${host}:${port} is not reachable: ${why}`));
    };
    client.onConnect = () => {
      connected = true;
      resolve();
    };
    client.onStompError = (frame) => (connected ? undefined : fail(`STOMP error ${frame.headers.message ?? ''}`.trim()));
    client.onWebSocketError = () => (connected ? undefined : fail('connection refused or reset'));
    client.onWebSocketClose = () => {
      if (!connected) fail('connection closed before CONNECTED');
      connected = false;
      markClosed();
    };
    client.activate();
  });

  const wrap = (message: IMessage): LegacyDelivery => ({
    messageId: message.headers['message-id'] ?? '',
    body: message.body,
    headers: headersOf(message),
    ack: () => {
      if (!connected) return false;
      try {
        message.ack();
        return true;
      } catch {
        // the connection went between the check and the frame: the broker redelivers
        return false;
      }
    },
  });

  return {
    get connected() {
      return connected;
    },
    closed,
    consume(queue, prefetch, onMessage) {
      client.subscribe(`/queue/${queue}`, (message) => onMessage(wrap(message)), {
        ack: 'client-individual',
        'activemq.prefetchSize': String(prefetch),
      });
    },
    browse(queue, onMessage) {
      return new Promise<void>((resolve, reject) => {
        void closed.then(() => reject(new LegacyBrokerUnavailableError(`legacy broker connection lost while browsing ${queue}`)));
        const subscription = client.subscribe(
          `/queue/${queue}`,
          (message) => {
            if (message.headers.browser === 'end') {
              subscription.unsubscribe();
              resolve();
              return;
            }
            onMessage(wrap(message));
          },
          { browser: 'true', ack: 'auto' },
        );
      });
    },
    async close() {
      connected = false;
      await client.deactivate();
      markClosed();
    },
  };
}

/**
 * Wakes consumers waiting in waitForMessage as soon as a message becomes deliverable, over
 * connections that live as long as the backend (opening one per wait costs a connect, which is
 * most of a push-to-callback latency budget of milliseconds):
 *
 * - one subscriber connection per Redis node, SSUBSCRIBEd to the signal channel of each queue
 *   waited on. Every script that makes a message deliverable publishes on it: push, release and
 *   redrive publish `0` (deliverable now), a delayed push or release publishes its delay in ms,
 *   and the waiter sets a timer for it;
 * - one blocking connection per queue waited on, in BLMOVE from the legacy list to staging, for
 *   legacy producers that RPUSH without publishing. BLMOVE moves the element server-side (lossless
 *   even if this process dies) and the next lease absorbs it from staging.
 */
import Redis, { type Cluster } from 'ioredis';
import { createLogger } from '../../log';
import { QueueUnavailableError } from '../errors';
import { clusterSlot, queueKeys } from './keys';

const log = createLogger({ component: 'queue.redis.wake' });

/** How long one BLMOVE blocks before it is issued again (while someone still waits). */
const BLOCK_SECONDS = 2;

type Wake = (value: boolean) => void;

interface QueueWatch {
  waiters: Set<Waiter>;
  subscribed?: Promise<void>;
  subscriber?: Redis;
  blocker?: Redis;
  blocking: boolean;
}

interface Waiter {
  wake: Wake;
  /** A delayed message falls due in this many ms: wake then. */
  dueIn(ms: number): void;
}

export class WakeHub {
  private readonly watches = new Map<string, QueueWatch>();
  /** Subscriber connections by node ('standalone' or host:port). */
  private readonly subscribers = new Map<string, Redis>();
  private closed = false;

  constructor(private readonly redis: Redis | Cluster) {}

  /**
   * Registers a waiter on `queue` and resolves once its subscription is in place, so that a
   * message made deliverable after this resolves is never missed (listen first, then look).
   */
  async listen(queue: string, waiter: Waiter): Promise<() => void> {
    const watch = this.watch(queue);
    watch.waiters.add(waiter);
    const leave = () => {
      watch.waiters.delete(waiter);
    };
    try {
      await this.subscribe(queue, watch);
    } catch (error) {
      leave();
      throw error;
    }
    this.block(queue, watch);
    return leave;
  }

  close(): void {
    this.closed = true;
    for (const watch of this.watches.values()) {
      for (const waiter of watch.waiters) waiter.wake(true);
      watch.blocker?.disconnect();
    }
    for (const subscriber of this.subscribers.values()) subscriber.disconnect();
    this.watches.clear();
    this.subscribers.clear();
  }

  private watch(queue: string): QueueWatch {
    let watch = this.watches.get(queue);
    if (!watch) {
      watch = { waiters: new Set(), blocking: false };
      this.watches.set(queue, watch);
    }
    return watch;
  }

  private subscribe(queue: string, watch: QueueWatch): Promise<void> {
    if (!watch.subscribed) {
      const keys = queueKeys(queue);
      const subscriber = this.subscriberFor(keys.ready);
      watch.subscriber = subscriber;
      watch.subscribed = subscriber.ssubscribe(keys.signal).then(
        () => undefined,
        (error: unknown) => {
          watch.subscribed = undefined;
          throw new QueueUnavailableError(`could not subscribe to queue ${queue}'s signal`, { cause: error });
        },
      );
    }
    return watch.subscribed;
  }

  private subscriberFor(slotKey: string): Redis {
    const node = this.nodeOf(slotKey);
    let subscriber = this.subscribers.get(node.name);
    if (!subscriber) {
      subscriber = node.open();
      subscriber.on('smessage', (channel: string, message: string) => this.signal(channel, message));
      // A subscriber that lost its connection lost its subscriptions too: forget them, wake
      // everyone (they probe and wait again, which subscribes again).
      subscriber.on('close', () => {
        for (const watch of this.watches.values()) {
          if (watch.subscriber !== subscriber) continue;
          watch.subscribed = undefined;
          watch.subscriber = undefined;
          for (const waiter of watch.waiters) waiter.wake(true);
        }
        if (this.subscribers.get(node.name) === subscriber) this.subscribers.delete(node.name);
        subscriber?.disconnect();
      });
      this.subscribers.set(node.name, subscriber);
    }
    return subscriber;
  }

  private signal(channel: string, message: string): void {
    const queue = channel.slice(1, channel.lastIndexOf('}:signal'));
    const watch = this.watches.get(queue);
    if (!watch) return;
    const delay = Number(message);
    for (const waiter of watch.waiters) {
      if (delay > 0) waiter.dueIn(delay);
      else waiter.wake(true);
    }
  }

  /** Keeps one BLMOVE on the legacy list in progress while anyone waits on the queue. */
  private block(queue: string, watch: QueueWatch): void {
    if (watch.blocking || this.closed) return;
    const keys = queueKeys(queue);
    watch.blocker ??= this.nodeOf(keys.ready).open();
    watch.blocking = true;
    watch.blocker.blmove(keys.legacy, keys.staging, 'LEFT', 'RIGHT', BLOCK_SECONDS).then(
      (moved) => {
        watch.blocking = false;
        if (moved !== null) for (const waiter of watch.waiters) waiter.wake(true);
        if (watch.waiters.size > 0) this.block(queue, watch);
      },
      (error: unknown) => {
        // e.g. the slot moved to another node: wake the waiters, who lease and wait again.
        log.debug({ queue, err: (error as Error).message }, 'legacy list watch failed');
        watch.blocking = false;
        watch.blocker?.disconnect();
        watch.blocker = undefined;
        for (const waiter of watch.waiters) waiter.wake(true);
      },
    );
  }

  /**
   * The node that serves `slotKey`: the standalone server, or on a cluster the master that owns
   * its slot (SSUBSCRIBE and BLMOVE must run there). No command timeout: BLMOVE blocks on purpose.
   * No ready check: ioredis's INFO would go out after SSUBSCRIBEs issued while it connects, on a
   * connection then in subscriber mode, which refuses it; the connection then fails and the
   * waits behind those subscriptions never resolve (many partition loops waiting at once).
   */
  private nodeOf(slotKey: string): { name: string; open: () => Redis } {
    const configure = (connection: Redis) => {
      connection.on('error', (error: Error) => log.debug({ err: error.message }, 'redis waiter connection error'));
      // An idle waiter connection must not keep a process alive (a script, `sls invoke local`):
      // a wait in progress holds its own timer.
      connection.on('connect', () => connection.stream?.unref?.());
      return connection;
    };
    if (this.redis instanceof Redis) {
      const redis = this.redis;
      return { name: 'standalone', open: () => configure(redis.duplicate({ commandTimeout: undefined, enableOfflineQueue: true, enableReadyCheck: false, lazyConnect: false })) };
    }
    const cluster = this.redis;
    const nodeKey = cluster.slots[clusterSlot(slotKey)]?.[0];
    const separator = nodeKey?.lastIndexOf(':') ?? -1;
    if (!nodeKey || separator < 0) throw new QueueUnavailableError(`no cluster node known for key ${slotKey}`);
    return {
      name: nodeKey,
      open: () =>
        configure(
          new Redis({
            ...cluster.options.redisOptions,
            host: nodeKey.slice(0, separator),
            port: Number(nodeKey.slice(separator + 1)),
            commandTimeout: undefined,
            enableOfflineQueue: true,
            enableReadyCheck: false,
          }),
        ),
    };
  }
}

export type { Waiter };

/**
 * A fault-injecting TCP proxy between a Redis client and a private redis-server, for tests of
 * what a client does when the network fails at the worst moment. The failure that matters most
 * for an at-least-once queue is reply loss: Redis ran the command, but the client never heard,
 * so the client cannot tell "done" from "not done" and may run it again. A plain restart cannot
 * produce that: it loses the command together with the reply.
 *
 * The proxy frames both directions as RESP (commands from the client, replies from the server),
 * so that a rule sees exactly one whole command, however the client pipelined or split it, and
 * the reply it drops is exactly the reply to that command: the n-th reply answers the n-th
 * command on a connection. Connections that enter subscriber mode (SUBSCRIBE, PSUBSCRIBE,
 * SSUBSCRIBE) or MONITOR, or send bytes that are not RESP, stop being framed (their messages are
 * not replies) and are forwarded as they come; rules never match on them. CLIENT REPLY OFF/SKIP
 * would break the count too: do not use it through the proxy.
 *
 * Faults: `dropReplyAfter` (reply loss), `cutAll` (every connection drops now),
 * `refuseConnections` (the port stops listening, as a stopped Redis does) and `setLatency`.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

const HOST = '127.0.0.1';

export interface FaultProxyOptions {
  /** Where the proxy forwards to (a private redis-server: faults must not hit a shared one). */
  target: { host: string; port: number };
  /** Delay added to every chunk, each way, from the start (see setLatency). */
  latencyMs?: number;
}

/**
 * Decides whether a command's reply is dropped. `command` is the command's exact RESP bytes
 * (one whole command); `args` its arguments, the first being the command name as sent.
 */
export type CommandMatcher = (command: Buffer, args: Buffer[]) => boolean;

export interface DropReplyOptions {
  /** Replies to drop, one per matching command (1 by default); the rule is spent after that. */
  times?: number;
  /** Let this many matching commands through untouched first (0 by default): `skip: 2` drops the 3rd. */
  skip?: number;
}

export interface DropRule {
  /** Replies dropped so far (a drop whose connection closed for another reason first counts too). */
  readonly dropped: number;
  /** Resolves once `times` replies have been dropped and their client connections destroyed. */
  readonly done: Promise<void>;
  /** Stops matching new commands; a drop already armed (command sent, reply awaited) still happens. */
  cancel(): void;
}

export interface Refusal {
  /** Resolves once the proxy listens again on its port. */
  readonly ended: Promise<void>;
  /** Listens again now (also before `forMs` ran out); safe to call twice. */
  end(): Promise<void>;
}

/** A command the proxy framed, as onCommand listeners see it. */
export interface ProxiedCommand {
  /** Which client connection sent it: 1 for the first the proxy accepted, and so on. */
  connection: number;
  /** The command name, upper case (`EVALSHA`, `SET`, ...). */
  name: string;
  args: Buffer[];
  raw: Buffer;
}

export interface FaultProxy {
  /** `redis://127.0.0.1:<port>`: give this to the client under test. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Client connections accepted so far (a reconnecting client adds one per connection). */
  readonly accepted: number;
  /** Client connections open now. */
  readonly open: number;
  /**
   * Reply loss: the next matching command (see options) is forwarded, and nothing sent after it
   * on that connection reaches the server; once the server's reply to it arrives, the replies
   * before it are delivered, that reply is dropped, and both sockets are destroyed. So Redis ran
   * the command, and the client sees its connection close with the command unanswered. Rules
   * are tried in the order they were added; the first that matches takes the command.
   */
  dropReplyAfter(match: CommandMatcher, options?: DropReplyOptions): DropRule;
  /** Destroys every open connection, both sides, now; returns how many there were. */
  cutAll(): number;
  /**
   * Stops listening, so that new connections are refused (ECONNREFUSED, as from a stopped Redis)
   * until `end()` or, with `forMs`, until that time has passed. Open connections are left alone:
   * combine with cutAll() for an outage.
   */
  refuseConnections(options?: { forMs?: number }): Refusal;
  /** Delays every chunk forwarded from now on by `ms`, each way, keeping their order. */
  setLatency(ms: number): void;
  /** Calls `listener` with every framed command before it is forwarded; returns the unsubscribe. */
  onCommand(listener: (command: ProxiedCommand) => void): () => void;
  /** Stops listening and destroys every connection; safe to call twice. */
  close(): Promise<void>;
}

/** A matcher on the command name, case-insensitive: `commandIs('evalsha')`. */
export function commandIs(...names: string[]): CommandMatcher {
  const wanted = new Set(names.map((n) => n.toUpperCase()));
  return (_command, args) => args.length > 0 && wanted.has(args[0]!.toString('latin1').toUpperCase());
}

/** Starts a proxy on a free loopback port; resolves once it listens. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const proxy = new FaultProxyServer(options);
  await proxy.listen(0);
  return proxy;
}

class FaultProxyServer implements FaultProxy {
  host = HOST;
  port = 0;
  accepted = 0;
  private server: Server | undefined;
  private readonly connections = new Set<ProxiedConnection>();
  private readonly rules: Rule[] = [];
  private readonly listeners = new Set<(command: ProxiedCommand) => void>();
  private readonly refusals = new Set<RefusalImpl>();
  private latencyMs: number;
  private closed = false;

  constructor(private readonly options: FaultProxyOptions) {
    this.latencyMs = options.latencyMs ?? 0;
  }

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  get open(): number {
    return this.connections.size;
  }

  /** Listens on `port` (0: a free one, remembered for later listens). */
  async listen(port: number): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('fault proxy: no port assigned');
    this.port = address.port;
    this.server = server;
  }

  dropReplyAfter(match: CommandMatcher, { times = 1, skip = 0 }: DropReplyOptions = {}): DropRule {
    if (!Number.isInteger(times) || times < 1) throw new Error('dropReplyAfter: times must be a whole number ≥ 1');
    if (!Number.isInteger(skip) || skip < 0) throw new Error('dropReplyAfter: skip must be a whole number ≥ 0');
    const rule = new Rule(match, times, skip, (spent) => {
      const index = this.rules.indexOf(spent);
      if (index >= 0) this.rules.splice(index, 1);
    });
    this.rules.push(rule);
    return rule;
  }

  cutAll(): number {
    const count = this.connections.size;
    for (const connection of [...this.connections]) connection.destroy();
    return count;
  }

  refuseConnections({ forMs }: { forMs?: number } = {}): Refusal {
    if (this.closed) throw new Error('refuseConnections() after close()');
    const refusal: RefusalImpl = new RefusalImpl((): Promise<void> => this.endRefusal(refusal), forMs);
    this.refusals.add(refusal);
    // Closing the listener leaves accepted connections open: only new ones are refused.
    this.server?.close();
    this.server = undefined;
    return refusal;
  }

  setLatency(ms: number): void {
    if (!(ms >= 0)) throw new Error('setLatency: ms must be ≥ 0');
    this.latencyMs = ms;
  }

  onCommand(listener: (command: ProxiedCommand) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const refusal of this.refusals) refusal.cancel();
    this.refusals.clear();
    const server = this.server;
    this.server = undefined;
    this.cutAll();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  latency(): number {
    return this.latencyMs;
  }

  /** The rule that takes this command, if any; a skipped match counts against the rule's `skip`. */
  claim(raw: Buffer, args: Buffer[]): Rule | undefined {
    for (const rule of this.rules) {
      if (!rule.active || !rule.match(raw, args)) continue;
      return rule.take() ? rule : undefined;
    }
    return undefined;
  }

  notify(command: ProxiedCommand): void {
    for (const listener of this.listeners) listener(command);
  }

  forget(connection: ProxiedConnection): void {
    this.connections.delete(connection);
  }

  private accept(client: Socket): void {
    if (this.closed) {
      client.destroy();
      return;
    }
    this.accepted += 1;
    const connection = new ProxiedConnection(this.accepted, client, this.options.target, this);
    this.connections.add(connection);
  }

  private async endRefusal(refusal: RefusalImpl): Promise<void> {
    this.refusals.delete(refusal);
    if (this.refusals.size > 0 || this.closed || this.server) return;
    // The same port again, so that clients reconnect to the URL they were given.
    await this.listen(this.port);
  }
}

class Rule implements DropRule {
  dropped = 0;
  readonly done: Promise<void>;
  private armed = 0;
  private skipLeft: number;
  private resolve!: () => void;
  private cancelled = false;

  constructor(
    readonly match: CommandMatcher,
    private readonly times: number,
    skip: number,
    private readonly remove: (rule: Rule) => void,
  ) {
    this.skipLeft = skip;
    this.done = new Promise((resolve) => (this.resolve = resolve));
  }

  get active(): boolean {
    return !this.cancelled && this.armed < this.times;
  }

  /** Counts one matching command; true when its reply is to be dropped. */
  take(): boolean {
    if (this.skipLeft > 0) {
      this.skipLeft -= 1;
      return false;
    }
    this.armed += 1;
    if (this.armed >= this.times) this.remove(this);
    return true;
  }

  recordDrop(): void {
    this.dropped += 1;
    if (this.dropped >= this.times) this.resolve();
  }

  cancel(): void {
    this.cancelled = true;
    this.remove(this);
  }
}

class RefusalImpl implements Refusal {
  readonly ended: Promise<void>;
  private timer: NodeJS.Timeout | undefined;
  private ending: Promise<void> | undefined;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  constructor(
    private readonly onEnd: () => Promise<void>,
    forMs: number | undefined,
  ) {
    this.ended = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // A refusal that ends by itself has no caller to report a failed listen to, except `ended`.
    this.ended.catch(() => undefined);
    if (forMs !== undefined) this.timer = setTimeout(() => void this.end().catch(() => undefined), forMs);
  }

  end(): Promise<void> {
    clearTimeout(this.timer);
    this.ending ??= this.onEnd().then(this.settle.resolve, (error: unknown) => {
      this.settle.reject(error);
      throw error;
    });
    return this.ending;
  }

  /** The proxy closed: nothing to listen again for. */
  cancel(): void {
    clearTimeout(this.timer);
    this.ending ??= Promise.resolve();
    this.settle.resolve();
  }
}

/** Commands after which a connection's traffic is no longer one reply per command. */
const UNFRAMED_AFTER = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'MONITOR']);

class ProxiedConnection {
  private readonly upstream: Socket;
  private readonly toServer: Forwarder;
  private readonly toClient: Forwarder;
  private readonly commands = new RespFramer('commands');
  private readonly replies = new RespFramer('replies');
  /** One entry per command forwarded and not answered yet: the rule whose drop it armed, if any. */
  private readonly awaiting: Array<Rule | undefined> = [];
  private framed = true;
  /** A drop is armed: nothing more goes to the server, the connection ends at that reply. */
  private breaking = false;
  /** The reply has come and is dropped; the client still gets the replies before it first. */
  private dropping: Rule | undefined;
  private closed = false;

  constructor(
    readonly id: number,
    private readonly client: Socket,
    target: { host: string; port: number },
    private readonly proxy: FaultProxyServer,
  ) {
    this.upstream = createConnection(target);
    for (const socket of [client, this.upstream]) {
      socket.setNoDelay(true);
      // Resets are part of the faults; each side's close ends the other.
      const end = () => {
        // Once a reply is dropped the upstream is gone on purpose; the client side ends the connection.
        if (socket === this.upstream && this.dropping) return;
        this.destroy();
      };
      socket.on('error', end);
      socket.on('close', end);
    }
    const latency = () => proxy.latency();
    this.toServer = new Forwarder(client, this.upstream, latency);
    this.toClient = new Forwarder(this.upstream, client, latency);
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    this.upstream.on('data', (chunk: Buffer) => this.fromServer(chunk));
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.toServer.clear();
    this.toClient.clear();
    this.client.destroy();
    this.upstream.destroy();
    this.proxy.forget(this);
    // A reply that can no longer arrive is lost all the same: the armed drop has happened.
    for (const rule of [this.dropping, ...this.awaiting]) rule?.recordDrop();
    this.dropping = undefined;
    this.awaiting.length = 0;
  }

  private fromClient(chunk: Buffer): void {
    if (this.closed || this.breaking) return;
    if (!this.framed) {
      this.toServer.send(chunk);
      return;
    }
    let frames: Buffer[];
    try {
      frames = this.commands.push(chunk);
    } catch {
      this.unframe();
      return;
    }
    const out: Buffer[] = [];
    for (let i = 0; i < frames.length; i += 1) {
      const raw = frames[i]!;
      const args = commandArgs(raw);
      const name = args[0]?.toString('latin1').toUpperCase() ?? '';
      this.proxy.notify({ connection: this.id, name, args, raw });
      out.push(raw);
      if (UNFRAMED_AFTER.has(name)) {
        out.push(...frames.slice(i + 1));
        this.toServer.send(Buffer.concat(out));
        this.unframe();
        return;
      }
      const rule = this.proxy.claim(raw, args);
      this.awaiting.push(rule);
      if (rule) {
        this.breaking = true;
        break;
      }
    }
    this.toServer.send(Buffer.concat(out));
  }

  private fromServer(chunk: Buffer): void {
    if (this.closed || this.dropping) return;
    if (!this.framed) {
      this.toClient.send(chunk);
      return;
    }
    let frames: Buffer[];
    try {
      frames = this.replies.push(chunk);
    } catch {
      this.unframe();
      return;
    }
    const out: Buffer[] = [];
    for (const frame of frames) {
      // RESP3 push messages are not replies: they answer no command.
      if (frame[0] === GT) {
        out.push(frame);
        continue;
      }
      const rule = this.awaiting.shift();
      if (rule) {
        this.dropping = rule;
        this.toClient.send(Buffer.concat(out));
        this.upstream.destroy();
        // After the replies before it, which may still be on their way (latency).
        this.toClient.then(() => this.destroy());
        return;
      }
      out.push(frame);
    }
    this.toClient.send(Buffer.concat(out));
  }

  /** From now on bytes pass as they come, with whatever each framer was holding back first. */
  private unframe(): void {
    this.framed = false;
    this.toServer.send(this.commands.drain());
    this.toClient.send(this.replies.drain());
    this.awaiting.length = 0;
  }
}

/**
 * Writes chunks to `target` after the proxy's latency, in order, and pauses `source` while
 * `target` is not draining (so a slow side does not buffer without bound).
 */
class Forwarder {
  private readonly queue: Array<{ at: number; data?: Buffer; action?: () => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private paused = false;

  constructor(
    private readonly source: Socket,
    private readonly target: Socket,
    private readonly latency: () => number,
  ) {}

  send(data: Buffer): void {
    if (data.length > 0) this.enqueue({ data });
  }

  /** Runs `action` once everything sent before it has been written. */
  then(action: () => void): void {
    this.enqueue({ action });
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private enqueue(item: { data?: Buffer; action?: () => void }): void {
    const latency = this.latency();
    if (latency === 0 && this.queue.length === 0) {
      this.apply(item);
      return;
    }
    // Never before the chunk ahead of it, even if the latency went down in between.
    const at = Math.max(Date.now() + latency, this.queue.at(-1)?.at ?? 0);
    this.queue.push({ ...item, at });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      while (this.queue.length > 0 && this.queue[0]!.at <= now) this.apply(this.queue.shift()!);
      this.schedule();
    }, Math.max(0, this.queue[0]!.at - Date.now()));
  }

  private apply(item: { data?: Buffer; action?: () => void }): void {
    if (item.action) {
      item.action();
      return;
    }
    if (this.target.destroyed || !item.data) return;
    if (!this.target.write(item.data) && !this.paused) {
      this.paused = true;
      this.source.pause();
      this.target.once('drain', () => {
        this.paused = false;
        this.source.resume();
      });
    }
  }
}

const CR = 0x0d;
const GT = 0x3e;

/** Thrown by the framer for bytes that are not RESP; the proxy then stops framing that connection. */
export class RespProtocolError extends Error {}

/**
 * Cuts a byte stream into whole RESP frames, however it was chunked. 'commands' also accepts
 * inline commands (a bare line, as typed into telnet); 'replies' accepts RESP2 and RESP3 types.
 * A frame is one top-level value: a reply with nested arrays is one frame, as is a RESP3
 * attribute together with the value it annotates.
 */
export class RespFramer {
  private chunks: Buffer[] = [];
  private length = 0;
  /** Bytes needed before the held-back frame can be complete: no rescans until then. */
  private need = 0;

  constructor(private readonly side: 'commands' | 'replies') {}

  /** Adds `chunk`; returns every frame now complete, in order (slices of the input). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.length += chunk.length;
    if (this.length < this.need) return [];
    const buffer = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    const frames: Buffer[] = [];
    let offset = 0;
    while (offset < buffer.length) {
      const end = scanFrame(buffer, offset, this.side === 'commands');
      if (end < 0) {
        this.need = -end - offset;
        break;
      }
      frames.push(buffer.subarray(offset, end));
      offset = end;
    }
    const rest = buffer.subarray(offset);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    if (rest.length === 0) this.need = 0;
    return frames;
  }

  /** The bytes held back (an incomplete frame), and forgets them. */
  drain(): Buffer {
    const rest = Buffer.concat(this.chunks, this.length);
    this.chunks = [];
    this.length = 0;
    this.need = 0;
    return rest;
  }
}

/**
 * The end offset of the frame starting at `start`, or, when the buffer holds only part of it,
 * minus the least buffer length that could complete it.
 */
function scanFrame(buffer: Buffer, start: number, inline: boolean): number {
  if (start >= buffer.length) return -(start + 1);
  const lineEnd = buffer.indexOf('\r\n', start, 'latin1');
  if (lineEnd < 0) return -(buffer.length + 1);
  const afterLine = lineEnd + 2;
  const type = String.fromCharCode(buffer[start]!);
  switch (type) {
    case '+': // simple string
    case '-': // error
    case ':': // integer
    case '_': // RESP3 null
    case ',': // RESP3 double
    case '#': // RESP3 boolean
    case '(': // RESP3 big number
      return afterLine;
    case '$': // bulk string
    case '!': // RESP3 bulk error
    case '=': { // RESP3 verbatim string
      const length = lengthAt(buffer, start, lineEnd);
      if (length < 0) return afterLine; // null bulk string
      const end = afterLine + length + 2;
      if (end > buffer.length) return -end;
      if (buffer[end - 2] !== CR) throw new RespProtocolError(`bulk string of ${length} bytes not followed by CRLF`);
      return end;
    }
    case '*': // array
    case '~': // RESP3 set
    case '>': // RESP3 push
    case '%': // RESP3 map
    case '|': { // RESP3 attribute
      const count = lengthAt(buffer, start, lineEnd);
      if (count < 0) return afterLine; // null array
      let at = afterLine;
      for (let i = 0; i < (type === '%' || type === '|' ? 2 * count : count); i += 1) {
        at = scanFrame(buffer, at, false);
        if (at < 0) return at;
      }
      // An attribute annotates the value after it: together they are one reply.
      return type === '|' ? scanFrame(buffer, at, false) : at;
    }
    default:
      if (inline) return afterLine;
      throw new RespProtocolError(`unexpected RESP type byte 0x${buffer[start]!.toString(16)}`);
  }
}

function lengthAt(buffer: Buffer, start: number, lineEnd: number): number {
  const text = buffer.toString('latin1', start + 1, lineEnd);
  if (!/^-?\d+$/.test(text)) throw new RespProtocolError(`bad RESP length ${JSON.stringify(text.slice(0, 20))}`);
  return Number(text);
}

/** The arguments of one framed command: the bulk strings of a RESP array, or an inline command's words. */
export function commandArgs(command: Buffer): Buffer[] {
  if (command[0] !== 0x2a /* '*' */) {
    return command.toString('latin1').trim().split(/\s+/).filter(Boolean).map((word) => Buffer.from(word, 'latin1'));
  }
  const args: Buffer[] = [];
  let at = command.indexOf('\r\n', 0, 'latin1') + 2;
  while (at < command.length) {
    const lineEnd = command.indexOf('\r\n', at, 'latin1');
    if (command[at] !== 0x24 /* '$' */ || lineEnd < 0) break;
    const length = Number(command.toString('latin1', at + 1, lineEnd));
    const from = lineEnd + 2;
    args.push(command.subarray(from, from + Math.max(length, 0)));
    at = from + Math.max(length, 0) + 2;
  }
  return args;
}

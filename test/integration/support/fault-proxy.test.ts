/**
 * The fault proxy that the queue's reply-loss tests stand on, checked against a private
 * redis-server, and what ioredis 5 does when a reply is lost, observed through it (so that those
 * tests rest on checked behaviour, not on reading ioredis's source):
 * - an unanswered command is re-sent on the new connection (autoResendUnfulfilledCommands, on by
 *   default), so Redis runs it twice and the caller gets the second reply: a SET lands again, an
 *   INCR counts twice, and with the queue library's own settings (maxRetriesPerRequest 1) too;
 * - maxRetriesPerRequest 0 rejects it at the disconnect (MaxRetriesPerRequestError), not re-sent;
 * - autoResendUnfulfilledCommands false never re-sends it, and it rejects only at commandTimeout;
 * - a command that already rejected with "Command timed out" is still re-sent after the reconnect;
 * - an explicit pipeline (or MULTI/EXEC) of which some replies came is aborted (AbortError), not
 *   re-sent; one of which no reply came is re-sent whole.
 */
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import Redis, { type RedisOptions } from 'ioredis';
import { redisConnectionOptions } from '../../../lib/queue/redis/redis-queue-backend';
import { commandArgs, commandIs, RespFramer, RespProtocolError, startFaultProxy, type FaultProxy } from '../../../scripts/stack/fault-proxy';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';

const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** Feeds `bytes` to a framer in chunks of `size` bytes and collects the frames as text. */
function frameInChunks(side: 'commands' | 'replies', bytes: string, size: number): string[] {
  const framer = new RespFramer(side);
  const input = Buffer.from(bytes, 'latin1');
  const frames: string[] = [];
  for (let at = 0; at < input.length; at += size) {
    for (const frame of framer.push(input.subarray(at, at + size))) frames.push(frame.toString('latin1'));
  }
  return frames;
}

describe('RespFramer', () => {
  it('should cut pipelined commands into whole commands however the bytes are chunked', () => {
    const commands = [resp('SET', 'k', 'a\r\nb'), resp('EVALSHA', 'abc', '0'), 'PING\r\n', resp('GET', 'k')];
    const stream = commands.join('');

    for (const size of [1, 3, 7, stream.length]) {
      expect(frameInChunks('commands', stream, size)).toEqual(commands);
    }
  });

  it('should frame each reply whole: nested arrays, nulls, errors, integers, binary bulk strings, RESP3 types', () => {
    const replies = [
      '+OK\r\n',
      '-ERR wrong\r\n',
      ':42\r\n',
      '$-1\r\n',
      '*-1\r\n',
      '*0\r\n',
      '$4\r\na\r\nb\r\n',
      '*3\r\n:1\r\n*2\r\n$1\r\nx\r\n*1\r\n$-1\r\n$0\r\n\r\n',
      '%1\r\n+key\r\n*1\r\n:1\r\n',
      '|1\r\n+ttl\r\n:3600\r\n$1\r\nv\r\n',
      '>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n',
      '_\r\n',
    ];
    const stream = replies.join('');

    for (const size of [1, 2, 5, stream.length]) {
      expect(frameInChunks('replies', stream, size)).toEqual(replies);
    }
  });

  it('should hold back an incomplete frame until its last byte arrives', () => {
    const framer = new RespFramer('replies');

    const early = framer.push(Buffer.from('*2\r\n$5\r\nhel'));
    const late = framer.push(Buffer.from('lo\r\n:7\r\n'));

    expect(early).toEqual([]);
    expect(late.map((f) => f.toString())).toEqual(['*2\r\n$5\r\nhello\r\n:7\r\n']);
  });

  it('should reject bytes that are not a RESP reply', () => {
    expect(() => new RespFramer('replies').push(Buffer.from('HTTP/1.1 200 OK\r\n'))).toThrow(RespProtocolError);
  });

  it('should list a command\'s arguments, RESP or inline', () => {
    expect(commandArgs(Buffer.from(resp('SET', 'k', 'a\r\nb'))).map(String)).toEqual(['SET', 'k', 'a\r\nb']);
    expect(commandArgs(Buffer.from('PING hello\r\n')).map(String)).toEqual(['PING', 'hello']);
  });
});

/** A raw connection: what a test writes goes out byte for byte; everything received is kept. */
interface RawClient {
  socket: Socket;
  received(): string;
  closed: Promise<void>;
}

async function rawClient(port: number): Promise<RawClient> {
  const socket = createConnection({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = once(socket, 'close').then(() => undefined);
  await once(socket, 'connect');
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closed };
}

async function writeInChunks(socket: Socket, bytes: string, size: number): Promise<void> {
  for (let at = 0; at < bytes.length; at += size) {
    socket.write(bytes.slice(at, at + size), 'latin1');
    // A turn of the event loop between writes, so that the chunks do not merge on the way.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Polls `check` until it holds; fails with `what` after 10 s instead of hanging. */
async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('startFaultProxy', () => {
  let server: PrivateRedisServer;
  let direct: Redis;
  let proxy: FaultProxy;
  const clients: Redis[] = [];
  const sockets: Socket[] = [];

  /** An ioredis client through the proxy, connected, with the events it emitted and the commands the proxy saw. */
  async function client(options: RedisOptions = {}) {
    // disconnectTimeout only bounds the timer disconnect() arms, which would outlive the run.
    const redis = new Redis(proxy.url, { disconnectTimeout: 100, ...options, lazyConnect: true });
    redis.on('error', () => undefined);
    clients.push(redis);
    const events: string[] = [];
    for (const event of ['close', 'ready']) redis.on(event, () => events.push(event));
    await redis.connect();
    return { redis, events, readies: () => events.filter((e) => e === 'ready').length };
  }

  /** Names of the commands the proxy framed from now on, as `<connection>:<NAME>`. */
  function recordCommands(filter = /^(?!INFO|CLIENT|PING)/): string[] {
    const seen: string[] = [];
    proxy.onCommand(({ connection, name }) => {
      if (filter.test(name)) seen.push(`${connection}:${name}`);
    });
    return seen;
  }

  beforeAll(async () => {
    server = await startRedisServer();
    direct = new Redis(server.url);
  });

  beforeEach(async () => {
    await direct.flushall();
    proxy = await startFaultProxy({ target: { host: server.host, port: server.port } });
  });

  afterEach(async () => {
    for (const redis of clients.splice(0)) redis.disconnect();
    for (const socket of sockets.splice(0)) socket.destroy();
    await proxy.close();
  });

  afterAll(async () => {
    direct.disconnect();
    await server.stop();
  });

  describe('forwarding', () => {
    it('should pass commands and replies through unchanged: pipelined, large, nested', async () => {
      const { redis } = await client();
      const big = 'x'.repeat(1024 * 1024);
      const seen = recordCommands();

      const results = await redis
        .pipeline()
        .set('big', big)
        .get('big')
        .rpush('list', 'a', 'b', 'c')
        .lrange('list', 0, -1)
        .eval("return {1, {2, 'x', {}}, 'y'}", 0)
        .get('missing')
        .exec();

      expect(results).toEqual([[null, 'OK'], [null, big], [null, 3], [null, ['a', 'b', 'c']], [null, [1, [2, 'x', []], 'y']], [null, null]]);
      expect(seen).toEqual(['1:SET', '1:GET', '1:RPUSH', '1:LRANGE', '1:EVAL', '1:GET']);
      expect(await direct.lrange('list', 0, -1)).toEqual(['a', 'b', 'c']);
    });
  });

  describe('dropReplyAfter', () => {
    it('should let the server run the command, drop its reply and close the client connection', async () => {
      const raw = await rawClient(proxy.port);
      sockets.push(raw.socket);
      const rule = proxy.dropReplyAfter(commandIs('set'));

      raw.socket.write(resp('SET', 'k', 'v'));
      await raw.closed;
      await rule.done;

      expect(raw.received()).toBe('');
      expect(rule.dropped).toBe(1);
      expect(await direct.get('k')).toBe('v');
      expect(proxy.open).toBe(0);
    });

    it('should give the matcher exactly one whole command however the client splits or pipelines them', async () => {
      const raw = await rawClient(proxy.port);
      sockets.push(raw.socket);
      const commands = [resp('SET', 'a', '1'), resp('EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'), resp('SET', 'b', '2')];
      const matched: string[] = [];
      proxy.dropReplyAfter((command) => {
        matched.push(command.toString('latin1'));
        return /evalsha/i.test(command.toString('latin1'));
      });

      await writeInChunks(raw.socket, commands.join(''), 5);
      await raw.closed;

      expect(matched).toEqual(commands.slice(0, 2));
      expect(raw.received()).toBe('+OK\r\n');
    });

    it.each([0, 50])(
      'should deliver the replies before the dropped one and send nothing after it to the server (latency %i ms)',
      async (latencyMs) => {
        proxy.setLatency(latencyMs);
        const raw = await rawClient(proxy.port);
        sockets.push(raw.socket);
        const rule = proxy.dropReplyAfter(commandIs('incr'));

        raw.socket.write(
          [resp('EVAL', "return {1, {2, 'x'}, false}", '0'), resp('GET', 'missing'), resp('HGETALL', 'nothing'), resp('INCR', 'n'), resp('SET', 'after', '1')].join(''),
        );
        await raw.closed;
        await rule.done;

        expect(raw.received()).toBe('*3\r\n:1\r\n*2\r\n:2\r\n$1\r\nx\r\n$-1\r\n$-1\r\n*0\r\n');
        expect(await direct.get('n')).toBe('1');
        expect(await direct.exists('after')).toBe(0);
      },
    );

    it('should drop only the n-th matching command\'s reply with skip, and `times` replies in all', async () => {
      const { redis } = await client();
      const seen = recordCommands(/^INCR$/);
      const rule = proxy.dropReplyAfter(commandIs('incr'), { skip: 2, times: 2 });

      const results = [await redis.incr('n'), await redis.incr('n'), await redis.incr('n')];
      await rule.done;

      // The 3rd INCR's reply is lost, and so is that of its re-sent copy: it ran three times.
      expect(results).toEqual([1, 2, 5]);
      expect(seen).toEqual(['1:INCR', '1:INCR', '1:INCR', '2:INCR', '3:INCR']);
      expect(rule.dropped).toBe(2);
    });

    it('should match nothing once cancelled', async () => {
      const { redis, events } = await client();
      const rule = proxy.dropReplyAfter(commandIs('incr'));

      rule.cancel();
      const result = await redis.incr('n');

      expect(result).toBe(1);
      expect(events).not.toContain('close');
      expect(rule.dropped).toBe(0);
    });
  });

  describe('what ioredis does when a reply is lost', () => {
    it('should re-send the unanswered SET on a new connection (default options): it lands once more', async () => {
      const { redis, events } = await client();
      const seen = recordCommands();
      const rule = proxy.dropReplyAfter(commandIs('set'));

      const result = await redis.set('k', 'v');

      expect(rule.dropped).toBe(1);
      expect(result).toBe('OK');
      expect(await direct.get('k')).toBe('v');
      expect(events).toEqual(['ready', 'close', 'ready']);
      expect(seen).toEqual(['1:SET', '2:SET']);
    });

    it.each([
      ['the default options', {}],
      ['the queue library\'s connection options (maxRetriesPerRequest 1)', redisConnectionOptions()],
    ])('should run a re-sent INCR twice and resolve with the second reply, with %s', async (_name, options) => {
      const { redis } = await client(options);
      const seen = recordCommands(/^(INCR|EVALSHA)$/);
      proxy.dropReplyAfter(commandIs('incr'));
      // On the raw bytes, as a test of the queue's Lua scripts would match them.
      proxy.dropReplyAfter((command) => /evalsha/i.test(command.toString('latin1')));

      const counted = await redis.incr('n');
      const sha = await direct.script('LOAD', "return redis.call('INCR', KEYS[1])");
      const scripted = await redis.evalsha(sha as string, 1, 'm');

      expect([counted, scripted]).toEqual([2, 2]);
      expect([await direct.get('n'), await direct.get('m')]).toEqual(['2', '2']);
      expect(seen).toEqual(['1:INCR', '2:INCR', '2:EVALSHA', '3:EVALSHA']);
    });

    it('should reject with MaxRetriesPerRequestError and not re-send when maxRetriesPerRequest is 0', async () => {
      const { redis, readies } = await client({ maxRetriesPerRequest: 0 });
      const seen = recordCommands(/^INCR$/);
      proxy.dropReplyAfter(commandIs('incr'));

      const outcome = redis.incr('n');

      await expect(outcome).rejects.toThrow(/max retries per request limit \(which is 0\)/);
      await eventually(() => readies() === 2, 'the reconnect');
      await redis.ping(); // anything re-sent at the reconnect has reached Redis by now
      expect(await direct.get('n')).toBe('1');
      expect(seen).toEqual(['1:INCR']);
    });

    it('should not re-send with autoResendUnfulfilledCommands false: the command rejects only at commandTimeout', async () => {
      const { redis, readies } = await client({ autoResendUnfulfilledCommands: false, commandTimeout: 1000 });
      const seen = recordCommands(/^INCR$/);
      proxy.dropReplyAfter(commandIs('incr'));

      const outcome = redis.incr('n');

      await expect(outcome).rejects.toThrow('Command timed out');
      await eventually(() => readies() === 2, 'the reconnect');
      await redis.ping();
      expect(await direct.get('n')).toBe('1');
      expect(seen).toEqual(['1:INCR']);
    });

    it('should still re-send a command that already rejected with "Command timed out" once it reconnects', async () => {
      // The reconnect comes after the timeout: the caller is told "failed", then it runs again.
      const { redis } = await client({ commandTimeout: 300, retryStrategy: () => 1500 });
      const seen = recordCommands(/^INCR$/);
      proxy.dropReplyAfter(commandIs('incr'));

      const outcome = redis.incr('n');

      await expect(outcome).rejects.toThrow('Command timed out');
      await eventually(async () => (await direct.get('n')) === '2', 'the re-sent INCR to run');
      expect(seen).toEqual(['1:INCR', '2:INCR']);
    });

    it('should abort, not re-send, the unanswered rest of an explicit pipeline whose first reply came', async () => {
      const { redis, readies } = await client();
      const seen = recordCommands();
      proxy.dropReplyAfter(commandIs('incr'));

      const results = await redis.pipeline().set('a', '1').incr('n').set('b', '2').exec();

      expect(results![0]).toEqual([null, 'OK']);
      expect(results!.slice(1).map(([error]) => (error as Error).message)).toEqual([
        'Command aborted due to connection close',
        'Command aborted due to connection close',
      ]);
      await eventually(() => readies() === 2, 'the reconnect');
      await redis.ping();
      expect(seen).toEqual(['1:SET', '1:INCR']);
      expect([await direct.get('n'), await direct.get('b')]).toEqual(['1', null]);
    });

    it('should re-send a whole explicit pipeline none of whose replies came', async () => {
      const { redis } = await client();
      const seen = recordCommands();
      proxy.dropReplyAfter(commandIs('set'));

      const results = await redis.pipeline().set('a', '1').incr('n').set('b', '2').exec();

      expect(results).toEqual([[null, 'OK'], [null, 1], [null, 'OK']]);
      expect(seen).toEqual(['1:SET', '2:SET', '2:INCR', '2:SET']);
    });

    it('should abort a MULTI/EXEC whose EXEC reply is lost, after the transaction ran once', async () => {
      const { redis } = await client();
      proxy.dropReplyAfter(commandIs('exec'));

      const outcome = redis.multi().incr('n').exec();

      await expect(outcome).rejects.toThrow('Command aborted due to connection close');
      expect(await direct.get('n')).toBe('1');
    });
  });

  describe('cutAll', () => {
    it('should close every open connection at once; clients reconnect through the proxy', async () => {
      const first = await client();
      const second = await client();

      const cut = proxy.cutAll();
      await eventually(() => first.readies() === 2 && second.readies() === 2, 'both clients to reconnect');

      expect(cut).toBe(2);
      expect([first.events, second.events]).toEqual([
        ['ready', 'close', 'ready'],
        ['ready', 'close', 'ready'],
      ]);
      expect(proxy.accepted).toBe(4);
      expect(await first.redis.ping()).toBe('PONG');
    });
  });

  describe('refuseConnections', () => {
    it('should refuse new connections until ended, leaving open ones alone', async () => {
      const { redis } = await client();

      const refusal = proxy.refuseConnections();
      const attempt = createConnection({ host: '127.0.0.1', port: proxy.port });
      sockets.push(attempt);
      const [error] = (await once(attempt, 'error')) as [NodeJS.ErrnoException];
      const stillOpen = await redis.ping();
      await refusal.end();
      const raw = await rawClient(proxy.port);
      sockets.push(raw.socket);
      raw.socket.write(resp('PING'));
      await eventually(() => raw.received() === '+PONG\r\n', 'PONG through the proxy again');

      expect(error.code).toBe('ECONNREFUSED');
      expect(stillOpen).toBe('PONG');
    });

    it('should listen again by itself after forMs', async () => {
      const refusal = proxy.refuseConnections({ forMs: 100 });

      await refusal.ended;
      const { redis } = await client();

      expect(await redis.ping()).toBe('PONG');
    });
  });

  describe('setLatency', () => {
    it('should delay each direction by the latency', async () => {
      const { redis } = await client();
      proxy.setLatency(100);

      const started = Date.now();
      await redis.ping();
      const elapsed = Date.now() - started;

      // A lower bound only: a loaded machine makes it slower, never faster.
      expect(elapsed).toBeGreaterThanOrEqual(200);
    });

    it('should keep chunks in order when the latency drops while some are still held back', async () => {
      const { redis } = await client();

      proxy.setLatency(200);
      const slow = Array.from({ length: 50 }, () => redis.incr('n'));
      await new Promise((resolve) => setTimeout(resolve, 10));
      proxy.setLatency(0);
      const fast = Array.from({ length: 50 }, () => redis.incr('n'));
      const results = await Promise.all([...slow, ...fast]);

      expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    });
  });

  describe('close', () => {
    it('should close open connections and stop listening', async () => {
      const { redis, events } = await client({ retryStrategy: () => null });

      await proxy.close();
      await eventually(() => events.includes('close'), 'the client to see the connection close');
      const attempt = createConnection({ host: '127.0.0.1', port: proxy.port });
      sockets.push(attempt);
      const [error] = (await once(attempt, 'error')) as [NodeJS.ErrnoException];

      expect(redis.status).toBe('end');
      expect(error.code).toBe('ECONNREFUSED');
    });
  });
});

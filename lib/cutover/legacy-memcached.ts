/**
 * The legacy memcached "limbo" keys: values read with `memjs` (binary protocol), keys listed
 * with `lru_crawler metadump all` (text protocol, memcached 1.4.31 and later), which memjs does
 * not speak. memcached can evict or expire a key at any moment, so the listing is what the
 * server held when it was asked.
 */
import net from 'node:net';
import { Client } from 'memjs';
import { LegacyChannelUnavailableError } from './errors';

export interface LegacyMemcached {
  /** Keys starting with `prefix`, as the server lists them now. */
  keys(prefix: string): Promise<string[]>;
  /** The value as UTF-8 text; null when the key is gone. */
  get(key: string): Promise<string | null>;
  close(): void;
}

/** Every key the first server lists with `lru_crawler metadump all` (URL-encoded on the wire). */
function metadump(server: string, timeoutMs: number): Promise<string[]> {
  const at = server.lastIndexOf(':');
  const host = server.slice(0, at) || '127.0.0.1';
  const port = Number(server.slice(at + 1)) || 11211;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    let text = '';
    const fail = (why: string) => {
      socket.destroy();
      reject(new LegacyChannelUnavailableError(`legacy memcached at ${host}:${port} cannot list its keys: ${why}`));
    };
    socket.once('connect', () => socket.write('lru_crawler metadump all\r\n'));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.startsWith('ERROR') || text.startsWith('BUSY')) fail(text.split('\r\n')[0]!);
      else if (text.endsWith('END\r\n')) {
        socket.destroy();
        resolve([...text.matchAll(/^key=(\S+)/gm)].map((m) => decodeURIComponent(m[1]!)));
      }
    });
    socket.once('timeout', () => fail('no answer'));
    socket.once('error', (error) => fail(error.message));
  });
}

/** Connects to the legacy memcached servers (`host:port`, comma-separated). */
export function openLegacyMemcached(servers: string, timeoutMs = 5000): LegacyMemcached {
  const client = Client.create(servers, { retries: 1, timeout: timeoutMs / 1000, logger: { log: () => undefined } });
  const list = servers.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    async keys(prefix) {
      const all = (await Promise.all(list.map((server) => metadump(server, timeoutMs)))).flat();
      return [...new Set(all.filter((key) => key.startsWith(prefix)))];
    },
    async get(key) {
      try {
        const { value } = await client.get(key);
        return value === null ? null : value.toString('utf8');
      } catch (error) {
        throw new LegacyChannelUnavailableError(`legacy memcached did not answer a get: ${(error as Error).message}`, { cause: error });
      }
    },
    close: () => client.close(),
  };
}

/**
 * The private MariaDB server of scripts/stack/mariadb.ts that the soak stops and starts: while
 * halted it refuses connections, and once resumed on the same port and data directory it holds
 * what was committed before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { mariadbReachable, startPrivateMariadb, type PrivateMariadb } from '../../../scripts/stack/mariadb';

jest.setTimeout(120_000);

describe('startPrivateMariadb', () => {
  let server: PrivateMariadb;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mariadb-private-'));
    server = await startPrivateMariadb({ dir, log: () => undefined });
  });

  afterAll(async () => {
    await server?.halt();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should refuse connections while halted and keep committed rows across a halt and resume', async () => {
    // Arrange
    const before = await mysql.createConnection({ uri: server.url });
    await before.query('CREATE DATABASE kept');
    await before.query('CREATE TABLE kept.t (n INT PRIMARY KEY)');
    await before.query('INSERT INTO kept.t VALUES (1), (2)');
    await before.end();

    // Act
    await server.halt();
    const reachableWhileHalted = await mariadbReachable(server.url);
    await server.resume();
    const after = await mysql.createConnection({ uri: server.url });
    const [rows] = await after.query('SELECT n FROM kept.t ORDER BY n');
    await after.end();

    // Assert
    expect(reachableWhileHalted).toBe(false);
    expect(rows).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

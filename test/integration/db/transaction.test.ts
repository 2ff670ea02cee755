import mysql from 'mysql2/promise';
import { drizzleOn } from '../../../lib/db/client';
import { DatabaseContentionError, DatabaseRejectedError, DatabaseUnavailableError } from '../../../lib/db/errors';
import { pending } from '../../../lib/db/schema';
import { inTransaction, LOCK_CONFLICT_ATTEMPTS, withDatabase } from '../../../lib/db/transaction';
import { InfrastructureError, PermanentError } from '../../../lib/errors';
import { createTestDatabase, type TestDatabase } from '../../support/database';

// The project's testTimeout is not applied per project by Jest 30; lock waits take seconds.
jest.setTimeout(60_000);

/** Nothing listens on port 1: connecting fails at once. */
const UNREACHABLE = 'mysql://root@127.0.0.1:1/nothing';
const ROWS = 60;

describe('inTransaction', () => {
  let database: TestDatabase;
  let other: mysql.Connection;

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.pool.query('CREATE TABLE probe (id INT UNSIGNED PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB');
  });

  afterAll(async () => {
    await database.drop();
  });

  beforeEach(async () => {
    await database.pool.query('DELETE FROM probe');
    await database.pool.query('INSERT INTO probe (id, n) VALUES ?', [Array.from({ length: ROWS }, (_, i) => [i + 1, 0])]);
    other = await mysql.createConnection({ uri: database.url });
  });

  afterEach(async () => {
    await other.rollback().catch(() => undefined);
    await other.end();
  });

  const n = async (id: number) => {
    const [rows] = await database.pool.query<mysql.RowDataPacket[]>('SELECT n FROM probe WHERE id = ?', [id]);
    return Number(rows[0]!.n);
  };

  /** Resolves once the server's connection `threadId` is waiting for a row lock. */
  const waitingForLock = async (threadId: () => number | undefined) => {
    for (let i = 0; i < 500; i++) {
      const id = threadId();
      if (id !== undefined) {
        const [rows] = await database.pool.query<mysql.RowDataPacket[]>(
          "SELECT COUNT(*) AS waiting FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ? AND trx_state = 'LOCK WAIT'",
          [id],
        );
        if (Number(rows[0]!.waiting) > 0) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the transaction never waited for the lock');
  };

  it('should retry the victim of a real deadlock and commit it on the next attempt', async () => {
    // The other transaction changes many rows, so that MariaDB picks the lighter one (ours) as the victim.
    await other.beginTransaction();
    await other.query('UPDATE probe SET n = n + 1 WHERE id >= 2');
    let attempts = 0;
    let threadId: number | undefined;

    const result = inTransaction(database.pool, 'deadlock test', async ({ conn }) => {
      attempts += 1;
      await conn.query('UPDATE probe SET n = n + 10 WHERE id = 1');
      threadId = conn.threadId;
      await conn.query('UPDATE probe SET n = n + 10 WHERE id = 2');
      return attempts;
    });
    await waitingForLock(() => threadId);
    // Row 1 is ours and we wait for row 2: locking row 1 now closes the cycle.
    await other.query('UPDATE probe SET n = n + 1 WHERE id = 1');
    await other.commit();

    await expect(result).resolves.toBe(2);
    expect(await n(1)).toBe(11);
    expect(await n(2)).toBe(11);
  });

  it('should retry a transaction whose lock wait timed out', async () => {
    const pool = mysql.createPool({ uri: database.url, connectionLimit: 1 });
    await other.beginTransaction();
    await other.query('UPDATE probe SET n = n + 1 WHERE id = 1');
    let attempts = 0;

    const result = inTransaction(pool, 'lock wait test', async ({ conn }) => {
      attempts += 1;
      // The other writer finishes between the first attempt and the second.
      if (attempts === 2) await other.commit();
      await conn.query('SET SESSION innodb_lock_wait_timeout = 1');
      await conn.query('UPDATE probe SET n = n + 10 WHERE id = 1');
      return attempts;
    });

    try {
      await expect(result).resolves.toBe(2);
      expect(await n(1)).toBe(11);
    } finally {
      await pool.end();
    }
  });

  it('should give up with DatabaseContentionError after the bounded number of attempts', async () => {
    const pool = mysql.createPool({ uri: database.url, connectionLimit: 1 });
    await other.beginTransaction();
    await other.query('UPDATE probe SET n = n + 1 WHERE id = 1');
    let attempts = 0;

    const result = inTransaction(pool, 'lock wait test', async ({ conn }) => {
      attempts += 1;
      await conn.query('SET SESSION innodb_lock_wait_timeout = 1');
      await conn.query('UPDATE probe SET n = n + 10 WHERE id = 1');
    });

    try {
      await expect(result).rejects.toBeInstanceOf(DatabaseContentionError);
      await expect(result).rejects.toBeInstanceOf(InfrastructureError);
      await expect(result).rejects.toThrow(`lock wait test: lock conflict on each of ${LOCK_CONFLICT_ATTEMPTS} attempts (ER_LOCK_WAIT_TIMEOUT)`);
      expect(attempts).toBe(LOCK_CONFLICT_ATTEMPTS);
    } finally {
      await pool.end();
    }
  });

  it('should reject with DatabaseUnavailableError, untried, when the database cannot be reached', async () => {
    const down = mysql.createPool({ uri: UNREACHABLE, connectTimeout: 500 });
    let attempts = 0;

    const result = inTransaction(down, 'unreachable test', async () => {
      attempts += 1;
    });

    try {
      await expect(result).rejects.toBeInstanceOf(DatabaseUnavailableError);
      await expect(result).rejects.toMatchObject({ name: 'DatabaseUnavailableError', message: 'unreachable test: database unavailable (ECONNREFUSED)' });
      expect(attempts).toBe(0);
    } finally {
      await down.end();
    }
  });

  it('should reject a constraint violation as permanent, after one attempt, with nothing committed', async () => {
    let attempts = 0;

    const result = inTransaction(database.pool, 'constraint test', async ({ db, conn }) => {
      attempts += 1;
      await conn.query('INSERT INTO probe (id, n) VALUES (100, 0)');
      await db.insert(pending).values({ date: new Date(), gateway: 'x'.repeat(300), message: {} });
    });

    await expect(result).rejects.toBeInstanceOf(DatabaseRejectedError);
    await expect(result).rejects.toBeInstanceOf(PermanentError);
    await expect(result).rejects.toMatchObject({ name: 'DatabaseRejectedError', code: 'ER_DATA_TOO_LONG' });
    expect(attempts).toBe(1);
    const [rows] = await database.pool.query<mysql.RowDataPacket[]>('SELECT id FROM probe WHERE id = 100');
    expect(rows).toEqual([]);
  });

  it('should not put the values of a refused row into the error message', async () => {
    const result = inTransaction(database.pool, 'duplicate test', ({ conn }) => conn.query('INSERT INTO probe (id, n) VALUES (1, 4242)'));

    await expect(result).rejects.toMatchObject({ code: 'ER_DUP_ENTRY', message: 'duplicate test: the database refused the statement (ER_DUP_ENTRY)' });
  });
});

describe('withDatabase', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  beforeEach(async () => {
    await database.pool.query('DELETE FROM pending');
    await database.pool.query("INSERT INTO pending (id, date, gateway, message) VALUES (1, UTC_TIMESTAMP(), 'g', '{}')");
  });

  it('should reject with DatabaseUnavailableError when the database cannot be reached', async () => {
    const down = mysql.createPool({ uri: UNREACHABLE, connectTimeout: 500 });

    const result = withDatabase('read pending', () => drizzleOn(down).select().from(pending));

    try {
      await expect(result).rejects.toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      await down.end();
    }
  });

  it('should reject a statement that ran past max_statement_time as unavailable, not as refused', async () => {
    const result = withDatabase('slow read', () => database.pool.query('SET STATEMENT max_statement_time = 0.01 FOR SELECT SLEEP(0.5)'));

    await expect(result).rejects.toMatchObject({ name: 'DatabaseUnavailableError', message: 'slow read: database unavailable (errno 1969)' });
  });

  it('should reject a statement killed by KILL QUERY as unavailable, not as refused', async () => {
    // arrange: one connection, so that its id is the one the statement runs on
    const pool = mysql.createPool({ uri: database.url, connectionLimit: 1 });
    try {
      const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
      const id = Number(rows[0]!.id);
      const killer = setTimeout(() => void database.pool.query(`KILL QUERY ${id}`), 200);

      // act
      const result = withDatabase('killed read', () => pool.query('SELECT SLEEP(5)'));

      // assert
      await expect(result).rejects.toMatchObject({ name: 'DatabaseUnavailableError', message: 'killed read: database unavailable (ER_QUERY_INTERRUPTED)' });
      clearTimeout(killer);
    } finally {
      await pool.end();
    }
  });

  it("should name a refusal of MariaDB's own by its errno, not by the MySQL code of that number", async () => {
    // 4025 is MariaDB's ER_CONSTRAINT_FAILED (a JSON column's check); MySQL's 4025 is another error
    const result = withDatabase('bad json', () => database.pool.query("INSERT INTO pending (date, gateway, message) VALUES (UTC_TIMESTAMP(), 'g', '{')"));

    await expect(result).rejects.toMatchObject({ name: 'DatabaseRejectedError', code: 'errno 4025', message: 'bad json: the database refused the statement (errno 4025)' });
  });

  it('should retry a single statement whose lock wait timed out', async () => {
    const pool = mysql.createPool({ uri: database.url, connectionLimit: 1 });
    const other = await mysql.createConnection({ uri: database.url });
    await other.beginTransaction();
    await other.query('UPDATE pending SET gateway = ? WHERE id = 1', ['other']);
    let attempts = 0;

    const result = withDatabase('update pending', async () => {
      attempts += 1;
      if (attempts === 2) await other.commit();
      await pool.query('SET SESSION innodb_lock_wait_timeout = 1');
      return pool.query('UPDATE pending SET gateway = ? WHERE id = 1', ['ours']);
    });

    try {
      await expect(result).resolves.toBeDefined();
      expect(attempts).toBe(2);
      const [rows] = await database.pool.query<mysql.RowDataPacket[]>('SELECT gateway FROM pending WHERE id = 1');
      expect(rows).toEqual([{ gateway: 'ours' }]);
    } finally {
      await other.end();
      await pool.end();
    }
  });

  it('should leave the retry of a statement inside a transaction to the transaction', async () => {
    const pool = mysql.createPool({ uri: database.url, connectionLimit: 1 });
    const other = await mysql.createConnection({ uri: database.url });
    await other.beginTransaction();
    await other.query('UPDATE pending SET gateway = ? WHERE id = 1', ['other']);
    let statements = 0;

    const result = inTransaction(pool, 'outer', async ({ conn }) => {
      await conn.query('SET SESSION innodb_lock_wait_timeout = 1');
      await withDatabase('inner', async () => {
        statements += 1;
        await conn.query('UPDATE pending SET gateway = ? WHERE id = 1', ['ours']);
      });
    });

    try {
      await expect(result).rejects.toThrow(`outer: lock conflict on each of ${LOCK_CONFLICT_ATTEMPTS} attempts (ER_LOCK_WAIT_TIMEOUT)`);
      expect(statements).toBe(LOCK_CONFLICT_ATTEMPTS);
    } finally {
      await other.rollback();
      await other.end();
      await pool.end();
    }
  });
});

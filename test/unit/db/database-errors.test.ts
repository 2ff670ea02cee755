import { classifyDatabaseError, databaseErrorCode } from '../../../lib/db/errors';

/** A server reply as mysql2 hands it over: an errno, an SQL state and the code of MySQL's table. */
const reply = (errno: number, code?: string) => Object.assign(new Error('server said something with a value in it'), { errno, sqlState: 'HY000', code });

describe('classifyDatabaseError', () => {
  it.each([
    [1290, 'ER_OPTION_PREVENTS_STATEMENT', 'a read-only primary during a failover'],
    [1836, 'ER_READ_ONLY_MODE', 'read-only mode'],
    [1047, 'ER_UNKNOWN_COM_ERROR', 'a Galera node not yet synced'],
    [1317, 'ER_QUERY_INTERRUPTED', 'a killed statement'],
    [1969, undefined, 'a statement past max_statement_time'],
    [1203, 'ER_TOO_MANY_USER_CONNECTIONS', 'too many connections of the user'],
  ])('should call errno %p (%s) unavailable: %s', (errno, code, _what) => {
    expect(classifyDatabaseError(reply(errno, code))).toBe('unavailable');
  });

  it.each([
    [1062, 'ER_DUP_ENTRY'],
    [1406, 'ER_DATA_TOO_LONG'],
    [4025, 'ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE'],
  ])('should call errno %p a refused statement', (errno, code) => {
    expect(classifyDatabaseError(reply(errno, code))).toBe('rejected');
  });
});

describe('databaseErrorCode', () => {
  it('should name a reply both servers share by its code, and one from 1900 on by its errno', () => {
    expect(databaseErrorCode(reply(1406, 'ER_DATA_TOO_LONG'))).toBe('ER_DATA_TOO_LONG');
    expect(databaseErrorCode(reply(4025, 'ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE'))).toBe('errno 4025');
    expect(databaseErrorCode(reply(1969))).toBe('errno 1969');
  });

  it('should name a network failure by its Node code', () => {
    expect(databaseErrorCode(Object.assign(new Error('connect'), { code: 'ECONNREFUSED', fatal: true }))).toBe('ECONNREFUSED');
  });
});

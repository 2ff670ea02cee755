import { defineConfig, env } from '../../lib/config';
import { ConfigError } from '../../lib/errors';

describe('defineConfig', () => {
  const load = defineConfig({
    DB: env.url(['mysql'], 'mysql://root@127.0.0.1/x'),
    LIMIT: env.limit(),
    SECRET: env.string(),
    FLAG: env.bool(false),
  });

  it('should apply defaults and accept numeric strings', () => {
    const config = load({ LIMIT: '3', SECRET: 's' });

    expect(config).toEqual({ DB: 'mysql://root@127.0.0.1/x', LIMIT: 3, SECRET: 's', FLAG: false });
  });

  it('should treat an empty variable as absent', () => {
    expect(load({ SECRET: 's', LIMIT: '' }).LIMIT).toBe(0);
  });

  it('should report every bad variable by name without printing its value', () => {
    let error: unknown;
    try {
      load({ DB: 'http://user:hunter2@host/x', LIMIT: 'many' });
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect((error as ConfigError).problems).toHaveLength(3);
    expect(message).toMatch(/DB: must be a URL with scheme mysql/);
    expect(message).toMatch(/LIMIT: must be a whole number/);
    expect(message).toMatch(/SECRET:/);
    expect(message).not.toContain('hunter2');
  });

  it('should parse booleans once for every module, leaving an unset optional one undefined', () => {
    const flags = defineConfig({ ON: env.bool(true), DERIVED: env.bool() });

    expect(flags({})).toEqual({ ON: true, DERIVED: undefined });
    expect(flags({ ON: 'no', DERIVED: '1' })).toEqual({ ON: false, DERIVED: true });
    expect(() => flags({ DERIVED: 'maybe' })).toThrow(/DERIVED: must be true or false/);
  });

  it('should expose the variables it reads, with their defaults', () => {
    expect(Object.keys(load.shape)).toEqual(['DB', 'LIMIT', 'SECRET', 'FLAG']);
  });
});

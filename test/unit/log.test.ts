import { Writable } from 'node:stream';
import { logConfig } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { createLogger } from '../../lib/log';
import { redact, redactText, REDACTED } from '../../lib/redact';
import pendingFixture from '../../fixtures/pending-message.json';

describe('redact', () => {
  it('should mask personal fields at any depth, whatever their spelling', () => {
    const out = redact({
      order_id: '48213377.1',
      message: { email: 'maria@example.org', First_Name: 'Maria', lname: 'Souza', 'postal-code': '50010', user_ip: '203.0.113.7' },
      list: [{ street_address: 'Rua das Flores 12' }],
    });

    expect(out).toEqual({
      order_id: '48213377.1',
      message: { email: REDACTED, First_Name: REDACTED, lname: REDACTED, 'postal-code': REDACTED, user_ip: REDACTED },
      list: [{ street_address: REDACTED }],
    });
  });

  it('should mask every personal field of the pending fixture and keep its ids and amounts', () => {
    const out = redact(pendingFixture) as Record<string, unknown>;

    const personal = ['email', 'first_name', 'last_name', 'street_address', 'city', 'state_province', 'postal_code', 'user_ip'];
    for (const key of personal.filter((k) => k in pendingFixture)) expect(out[key]).toBe(REDACTED);
    expect(out).toMatchObject({ gateway: pendingFixture.gateway, order_id: pendingFixture.order_id, gross: pendingFixture.gross, currency: pendingFixture.currency, country: pendingFixture.country });
  });

  it("should mask the landing page's contact id and the processors' names for the donor", () => {
    const out = redact({ contact_id: '4412', shopperName: { firstName: 'Maria' }, holderName: 'M Souza', telephoneNumber: '+55 81 0000', link_id: 'sidebar' });

    expect(out).toEqual({ contact_id: REDACTED, shopperName: REDACTED, holderName: REDACTED, telephoneNumber: REDACTED, link_id: 'sidebar' });
  });

  it('should mask e-mails, IP addresses and card numbers inside free text but keep timestamps', () => {
    const text = redactText('donor maria@example.org from 203.0.113.7 / 2001:db8::1 paid with 4111 1111 1111 1111 at 20241127130000, 13:00:07');

    expect(text).toBe(`donor ${REDACTED} from ${REDACTED} / ${REDACTED} paid with ${REDACTED} at 20241127130000, 13:00:07`);
  });

  it('should survive cycles and errors', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const out = redact({ cyclic, err: new Error('bad email maria@example.org') }) as { cyclic: { self: unknown }; err: Record<string, unknown> };

    expect(out.cyclic.self).toBe('[circular]');
    expect(out.err.message).toBe(`bad email ${REDACTED}`);
  });
});

describe('createLogger', () => {
  function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { lines, logger: createLogger({ component: 'test' }, { destination: stream }) };
  }

  it('should write JSON lines with no donor data in fields, messages or errors', () => {
    const { lines, logger } = capture();

    logger.warn({ message: { email: 'maria@example.org', gateway: 'astropay' }, err: new Error('no donor maria@example.org') }, 'failed for 203.0.113.7');

    const record = JSON.parse(lines[0]!);
    expect(record.level).toBe('warn');
    expect(record.component).toBe('test');
    expect(record.message).toEqual({ email: REDACTED, gateway: 'astropay' });
    expect(record.msg).toBe(`failed for ${REDACTED}`);
    expect(lines[0]).not.toContain('maria@example.org');
    expect(lines[0]).not.toContain('203.0.113.7');
  });

  describe('level', () => {
    const saved = process.env.LOG_LEVEL;
    afterEach(() => {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
      logConfig.reset();
    });

    it('should take the validated LOG_LEVEL when none is given', () => {
      process.env.LOG_LEVEL = 'warn';
      logConfig.reset();

      const logger = createLogger({ component: 'test' });

      expect(logger.level).toBe('warn');
    });

    it('should refuse an unknown LOG_LEVEL with a ConfigError that names it', () => {
      process.env.LOG_LEVEL = 'loud';
      logConfig.reset();

      expect(() => createLogger()).toThrow(ConfigError);
      expect(() => createLogger()).toThrow(/LOG_LEVEL/);
    });
  });
});

import { maskBody, maskJson, restoreMasked } from '../../../lib/console/mask';
import { checkWireFormat } from '../../../lib/console/wire-format';
import { InvalidMessageEditError } from '../../../lib/console/errors';

describe('console masking (lib/console/mask.ts)', () => {
  it('should mask personal fields and patterns in a JSON body and pretty-print it', () => {
    const { text, json } = maskBody(JSON.stringify({ email: 'a@example.org', note: 'call 192.0.2.1', order_id: '1' }));

    expect(json).toBe(true);
    expect(JSON.parse(text)).toEqual({ email: '[redacted]', note: 'call [redacted]', order_id: '1' });
  });

  it('should keep dates as ISO strings when masking a record', () => {
    expect(maskJson({ date: new Date('2026-12-01T10:00:00Z'), email: 'a@example.org' })).toEqual({ date: '2026-12-01T10:00:00.000Z', email: '[redacted]' });
  });

  it('should mask a body that is not JSON as text', () => {
    expect(maskBody('not json a@example.org')).toEqual({ text: 'not json [redacted]', json: false });
  });

  it('should put back values left masked and keep everything the operator changed', () => {
    const original = { email: 'a@example.org', note: 'mail a@example.org', gross: 'ten', nested: { last_name: 'Lovelace' } };
    const edited = { email: '[redacted]', note: 'mail [redacted]', gross: '10.00', nested: { last_name: '[redacted]' }, added: 'x' };

    expect(restoreMasked(original, edited)).toEqual({ email: 'a@example.org', note: 'mail a@example.org', gross: '10.00', nested: { last_name: 'Lovelace' }, added: 'x' });
  });

  it('should keep a personal field the operator replaced', () => {
    expect(restoreMasked({ email: 'a@example.org' }, { email: 'b@example.org' })).toEqual({ email: 'b@example.org' });
  });
});

describe('console wire formats (lib/console/wire-format.ts)', () => {
  const formats = { pending: 'pending', 'payments-init': 'payments-init', tracking: 'contribution-tracking' } as const;

  it('should accept a message valid for its queue', () => {
    expect(() => checkWireFormat(formats, 'pending', { gateway: 'g', order_id: '1', date: 1700000000 })).not.toThrow();
    expect(() => checkWireFormat(formats, 'tracking', { id: '5', ts: '20240101120000' })).not.toThrow();
  });

  it('should refuse a message its consumer would refuse, naming the rule', () => {
    expect(() => checkWireFormat(formats, 'payments-init', { gateway: 'g', date: 1700000000 })).toThrow(/^not valid for payments-init \(payments-init format\): invalid payments-init message: order_id is missing$/);
    expect(() => checkWireFormat(formats, 'tracking', { id: 'x', ts: '20240101120000' })).toThrow(InvalidMessageEditError);
  });

  it('should require only a JSON object on a queue without a known format', () => {
    expect(() => checkWireFormat(formats, 'elsewhere', { anything: 1 })).not.toThrow();
    expect(() => checkWireFormat(formats, 'elsewhere', [1, 2])).toThrow(InvalidMessageEditError);
  });
});

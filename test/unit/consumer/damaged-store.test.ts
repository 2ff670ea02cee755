import { damagedRowFor } from '../../../lib/consumer/damaged-store';

const NOW = new Date('2026-11-28T12:00:00Z');

describe('damagedRowFor', () => {
  it('should keep the raw body verbatim and pull the ids people search by', () => {
    const body = JSON.stringify({ gateway: 'adyen', order_id: '123.1', gateway_txn_id: 'T9', source_enqueued_time: 1732712401 });
    const row = damagedRowFor({ queue: 'pending', body, error: new Error('boom') }, NOW);
    expect(row).toMatchObject({
      message: body,
      originalQueue: 'pending',
      gateway: 'adyen',
      orderId: '123.1',
      gatewayTxnId: 'T9',
      originalDate: new Date(1732712401000),
      damagedDate: NOW,
      retryDate: null,
      error: 'Error: boom',
    });
    expect(row.trace).toContain('damaged-store.test.ts');
  });

  it('should stringify odd field types instead of rejecting the message', () => {
    const body = JSON.stringify({ gateway: { name: 'x' }, order_id: 42, gateway_txn_id: true });
    const row = damagedRowFor({ queue: 'q', body, error: 'bad' }, NOW);
    expect(row).toMatchObject({ gateway: '{"name":"x"}', orderId: '42', gatewayTxnId: 'true', error: 'bad', trace: null });
  });

  it('should fall back to the given original date, then now, when the body has no usable timestamp', () => {
    const enqueued = new Date('2026-11-28T11:00:00Z');
    expect(damagedRowFor({ queue: 'q', body: 'not json', error: 'x', originalDate: enqueued }, NOW).originalDate).toEqual(enqueued);
    expect(damagedRowFor({ queue: 'q', body: '{"date":"soon"}', error: 'x' }, NOW).originalDate).toEqual(NOW);
  });

  it('should shorten only what cannot fit its column, never the body', () => {
    const huge = 'é'.repeat(100_000);
    const body = JSON.stringify({ order_id: 'o'.repeat(300), note: huge });
    const row = damagedRowFor({ queue: 'q', body, error: huge, trace: huge }, NOW);
    expect(row.message).toBe(body);
    expect(row.orderId).toHaveLength(255);
    expect(Buffer.byteLength(row.error!, 'utf8')).toBeLessThanOrEqual(65535);
    expect(Buffer.byteLength(row.trace!, 'utf8')).toBeLessThanOrEqual(65535);
    expect(row.error!.endsWith('[truncated]')).toBe(true);
  });
});

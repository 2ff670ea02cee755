import { bulkInsert, flatValues } from '../../../lib/db/bulk-insert';
import { pending } from '../../../lib/db/schema';

describe('flatValues', () => {
  it('should give the values of the rows row after row, nulls included', () => {
    const rows = [
      [1, 'a', null],
      [2, 'b', 'c'],
    ];

    const values = flatValues(rows);

    expect(values).toEqual([1, 'a', null, 2, 'b', 'c']);
  });

  it('should give one parameter per placeholder of the prepared statement of as many rows', () => {
    const insert = bulkInsert(pending, ['gateway', 'orderId']);
    const rows = insert.values([
      { gateway: 'adyen', orderId: '1.1' },
      { gateway: 'paypal', orderId: '2.1' },
      { gateway: 'ingenico', orderId: '3.1' },
    ]);

    const values = flatValues(rows);

    expect(insert.prepared(rows.length).split('?').length - 1).toBe(values.length);
    expect(values).toEqual(['adyen', '1.1', 'paypal', '2.1', 'ingenico', '3.1']);
  });
});

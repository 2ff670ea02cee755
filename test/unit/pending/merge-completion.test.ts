import { isSparseCompletion, mergePendingIntoCompletion } from '../../../lib/pending/merge-completion';
import completion from '../../../fixtures/completion-sparse.json';
import pendingMessage from '../../../fixtures/pending-message.json';

describe('mergePendingIntoCompletion', () => {
  it('should fill a sparse completion with the donor details of its pending row', () => {
    const merged = mergePendingIntoCompletion(completion, { ...pendingMessage, pending_id: 12 });

    expect(merged).toMatchObject({
      completion_message_id: completion.completion_message_id,
      gateway_txn_id: completion.gateway_txn_id,
      gateway_status: '9',
      email: pendingMessage.email,
      first_name: 'Maria',
      utm_campaign: pendingMessage.utm_campaign,
      date: completion.date,
    });
    expect(merged).not.toHaveProperty('pending_id');
  });

  it('should let the newer message win on keys both carry', () => {
    const older = { date: 100, gross: '5.00', completion_message_id: 'c1' };
    const newer = { date: 200, gross: '7.00', email: 'x@example.org' };

    expect(mergePendingIntoCompletion(older, newer)).toEqual({ date: 200, gross: '7.00', email: 'x@example.org', completion_message_id: 'c1' });
    expect(mergePendingIntoCompletion({ date: 300, gross: '9.00' }, newer)).toMatchObject({ date: 300, gross: '9.00' });
  });

  it('should leave keys absent from both messages absent', () => {
    const merged = mergePendingIntoCompletion({ date: 2, order_id: '1.1' }, { date: 1, order_id: '1.1', fee: undefined });

    expect(Object.keys(merged).sort()).toEqual(['date', 'order_id']);
  });
});

describe('isSparseCompletion', () => {
  it('should recognise messages carrying a completion_message_id', () => {
    expect(isSparseCompletion(completion)).toBe(true);
    expect(isSparseCompletion(pendingMessage)).toBe(false);
  });
});

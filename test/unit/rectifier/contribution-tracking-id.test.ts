import { contributionTrackingIdOf } from '../../../lib/rectifier/orphan-rectifier';

describe('contributionTrackingIdOf', () => {
  it('should take contribution_tracking_id when the message carries it', () => {
    expect(contributionTrackingIdOf({ contribution_tracking_id: '48213377', order_id: '999.1' })).toBe(48213377);
  });

  it('should fall back to the part before the dot of an <id>.<sequence> order id', () => {
    expect(contributionTrackingIdOf({ order_id: '48213377.2' })).toBe(48213377);
  });

  it.each([[{ order_id: '2204117' }], [{ order_id: 'abc.1' }], [{ contribution_tracking_id: 'x1' }], [{}]])('should find none in %j', (message) => {
    expect(contributionTrackingIdOf(message)).toBeNull();
  });
});

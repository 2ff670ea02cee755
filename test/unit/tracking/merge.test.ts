import { foldTrackingEvents, type TrackingEvent } from '../../../lib/tracking/merge';

const event = (eventId: number, ts: string, fields: TrackingEvent['fields']): TrackingEvent => ({ eventId, trackingId: 7, ts, fields });

describe('foldTrackingEvents', () => {
  it('should let present fields overwrite and keep absent ones', () => {
    const summary = foldTrackingEvents([
      event(1, '20241127130000', { utm_source: 'a.b.c', country: 'BR' }),
      event(2, '20241127130100', { country: 'PT' }),
    ]);

    expect(summary.fields).toEqual({ utm_source: 'a.b.c', country: 'PT' });
  });

  it('should not let an older message overwrite a field a newer one set, whatever the arrival order', () => {
    const summary = foldTrackingEvents([
      event(1, '20241127130500', { country: 'PT' }),
      event(2, '20241127130000', { country: 'BR', language: 'pt' }),
    ]);

    expect(summary.fields).toEqual({ country: 'PT', language: 'pt' });
  });

  it('should let the later received message win on equal ts', () => {
    const events = [event(4, '20241127130000', { country: 'PT' }), event(3, '20241127130000', { country: 'BR' })];

    expect(foldTrackingEvents(events).fields.country).toBe('PT');
    expect(foldTrackingEvents([...events].reverse()).fields.country).toBe('PT');
  });

  it('should keep the earliest ts as the summary ts', () => {
    const summary = foldTrackingEvents([event(1, '20241127130500', {}), event(2, '20241127130000', {})]);

    expect(summary.ts).toBe('20241127130000');
  });

  it('should take contribution_id from the earliest received event that carries one', () => {
    const summary = foldTrackingEvents([
      event(9, '20241127120000', { contribution_id: 2 }),
      event(5, '20241127130000', { contribution_id: 1 }),
    ]);

    expect(summary.fields.contribution_id).toBe(1);
    expect(summary.setBy.contribution_id).toBe(5);
  });
});

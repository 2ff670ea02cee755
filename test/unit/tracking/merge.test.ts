import { foldTrackingEvents, type TrackingEvent } from '../../../lib/tracking/merge';

const event = (eventId: number, ts: string | null, fields: TrackingEvent['fields']): TrackingEvent => ({ eventId, trackingId: 7, ts, fields });

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

  describe('with events without ts', () => {
    it('should apply one after the events received before it and before later-received ones of a later or equal ts', () => {
      const summary = foldTrackingEvents([
        event(1, '20241127130500', { country: 'PT' }),
        event(2, null, { country: 'DE', utm_medium: 'undated' }),
        // received later but older: applied before the event without ts, so it does not win
        event(3, '20241127130000', { country: 'BR', language: 'pt' }),
        // received later with the ts the undated event follows: applied after it
        event(4, '20241127130500', { utm_medium: 'dated' }),
      ]);

      expect(summary.fields).toEqual({ country: 'DE', language: 'pt', utm_medium: 'dated' });
      expect(summary.setBy).toMatchObject({ country: 2, language: 3, utm_medium: 4 });
    });

    it('should apply one received before every dated event first, so that those overwrite it', () => {
      const summary = foldTrackingEvents([event(1, null, { country: 'DE' }), event(2, '20241127130000', { country: 'BR' })]);

      expect(summary.fields.country).toBe('BR');
    });

    it('should apply events without ts in the order received among themselves', () => {
      const events = [event(8, null, { country: 'PT' }), event(5, '20241127130000', {}), event(6, null, { country: 'DE' })];

      expect(foldTrackingEvents(events).fields.country).toBe('PT');
      expect(foldTrackingEvents([...events].reverse()).fields.country).toBe('PT');
    });

    it('should set contribution_id from an update without ts and leave the summary ts to the dated events', () => {
      const summary = foldTrackingEvents([event(2, null, { contribution_id: 9 }), event(1, '20241127130000', { country: 'BR' })]);

      expect(summary).toMatchObject({ ts: '20241127130000', fields: { country: 'BR', contribution_id: 9 }, setBy: { contribution_id: 2 } });
    });

    it('should leave the summary without ts when no event has one', () => {
      expect(foldTrackingEvents([event(1, null, { contribution_id: 9 })]).ts).toBeNull();
    });

    it("should date a field set by an event without ts at the ts it follows, or else at the summary's", () => {
      const after = foldTrackingEvents([event(1, '20241127130000', {}), event(2, '20241127140000', {}), event(3, null, { form_amount: 'EUR 5' })]);
      const before = foldTrackingEvents([event(1, null, { form_amount: 'EUR 5' }), event(2, '20241127130000', {})]);

      expect(after.setAt.form_amount).toBe('20241127140000');
      expect(before.setAt.form_amount).toBeUndefined();
    });
  });

  describe("with the newer frontend's fields in place of form_amount and payments_form", () => {
    it('should make form_amount and payments_form of them for the legacy summary, set by the message that carried them', () => {
      const summary = foldTrackingEvents([
        event(1, '20241127130000', { amount: '10', currency: 'GBP', gateway: 'adyen', appeal: 'JimmyQuote', payments_form_variant: 'monthlyConvert' }),
      ]);

      expect(summary.fields).toMatchObject({ form_amount: 'GBP 10.00', payments_form: 'adyen.JimmyQuote' });
      expect(summary.setBy).toMatchObject({ form_amount: 1, payments_form: 1 });
      expect(summary.setAt).toMatchObject({ form_amount: '20241127130000', payments_form: '20241127130000' });
    });

    it('should name the form variant when there is no appeal', () => {
      const summary = foldTrackingEvents([event(1, '20241127130000', { gateway: 'paypal_ec', payments_form_variant: 'monthlyConvert' })]);

      expect(summary.fields.payments_form).toBe('paypal_ec.v=monthlyConvert');
    });

    it('should keep the form_amount and payments_form a message carries itself', () => {
      const summary = foldTrackingEvents([
        event(1, '20241127130000', { form_amount: 'USD 35', payments_form: 'ingenico.v=old', amount: '10.00', currency: 'GBP', gateway: 'adyen', appeal: 'JimmyQuote' }),
      ]);

      expect(summary.fields).toMatchObject({ form_amount: 'USD 35', payments_form: 'ingenico.v=old' });
    });

    it('should let the latest message decide, with its own form_amount or the one its newer fields make', () => {
      const newerLast = foldTrackingEvents([
        event(1, '20241127130000', { form_amount: 'USD 35' }),
        event(2, '20241127130100', { amount: '12.5', currency: 'GBP' }),
      ]);
      const legacyLast = foldTrackingEvents([
        event(1, '20241127130100', { form_amount: 'USD 35' }),
        event(2, '20241127130000', { amount: '12.5', currency: 'GBP' }),
      ]);

      expect(newerLast.fields.form_amount).toBe('GBP 12.50');
      expect(newerLast.setBy.form_amount).toBe(2);
      expect(legacyLast.fields.form_amount).toBe('USD 35');
    });

    it("should make none of a message with a part missing or unreadable, not even with another message's part, leaving what was set", () => {
      const summary = foldTrackingEvents([
        event(1, '20241127130000', { form_amount: 'USD 35', payments_form: 'ingenico.v=old' }),
        event(2, '20241127130100', { amount: '10', gateway: 'adyen' }),
        event(3, '20241127130200', { currency: 'GBP', appeal: 'JimmyQuote' }),
        event(4, '20241127130300', { currency: 'GBP', amount: 'ten' }),
      ]);

      expect(summary.fields).toMatchObject({ form_amount: 'USD 35', payments_form: 'ingenico.v=old', amount: 'ten', currency: 'GBP', gateway: 'adyen' });
    });

    it('should keep a form_amount once made when an older message arrives later, as the stored row does', () => {
      const events = [event(1, '20241127130300', { amount: '7.125', currency: 'GBP' }), event(2, '20241127130100', { currency: 'POUND' })];

      expect(foldTrackingEvents(events.slice(0, 1)).fields.form_amount).toBe('GBP 7.13');
      expect(foldTrackingEvents(events).fields.form_amount).toBe('GBP 7.13');
    });
  });
});

import audit from '../../../fixtures/contribution-tracking-audit.json';
import crmContribution from '../../../fixtures/contribution-tracking-crm-contribution.json';
import crmGenerated from '../../../fixtures/contribution-tracking-crm-generated.json';
import first from '../../../fixtures/contribution-tracking-first.json';
import update from '../../../fixtures/contribution-tracking-update.json';
import { MalformedTrackingMessageError } from '../../../lib/tracking/errors';
import { formatTs, normaliseTrackingMessage, parseTrackingBody } from '../../../lib/tracking/message';

describe('normaliseTrackingMessage', () => {
  it('should type the fixture fields: numbers from strings, flags as 0/1', () => {
    const message = normaliseTrackingMessage(first);

    expect(message.id).toBe(48213377);
    expect(message.ts).toBe('20241127130000');
    expect(message.fields).toMatchObject({ utm_source: first.utm_source, country: 'BR', anonymous: 0, optout: 1 });
    expect(message.fields.contribution_id).toBeUndefined();
  });

  it('should read contribution_id as a number and leave absent fields absent', () => {
    const message = normaliseTrackingMessage(update);

    expect(message.fields).toEqual({ contribution_id: 95011231 });
  });

  it('should ignore unknown fields for the typed result', () => {
    const message = normaliseTrackingMessage({ id: '5', ts: '20241127130000', banner_shown: 'yes' });

    expect(message.fields).toEqual({});
  });

  it.each([
    [{ ts: '20241127130000' }, 'id is missing'],
    [{ id: 'abc', ts: '20241127130000' }, 'id must be a positive whole number'],
    [{ id: '-4', ts: '20241127130000' }, 'id must be a positive whole number'],
    [{ id: '0', ts: '20241127130000' }, 'id must be a positive whole number below 2^53'],
    [{ id: '99999999999999999999', ts: '20241127130000' }, 'id must be a positive whole number below 2^53'],
    [{ id: '5', ts: '2024-11-27 13:00' }, 'ts must be 14 digits, YYYYmmddHHMMSS in UTC'],
    [{ id: '5', ts: '20241331130000' }, 'ts is not a valid date and time'],
    [{ id: '5', ts: '20241127250000' }, 'ts is not a valid date and time'],
    [{ id: '5', tracking_date: '27/11/2024 13:00' }, 'tracking_date must be YYYY-mm-dd HH:MM:SS or unix seconds, in UTC'],
    [{ id: '5', tracking_date: '2024-02-30 13:00:00' }, 'tracking_date is not a valid date and time'],
    [{ id: '5', tracking_date: { at: 1 } }, 'tracking_date must be YYYY-mm-dd HH:MM:SS or unix seconds, in UTC'],
    [{ id: '5', ts: '20241127130000', contribution_id: 'x1' }, 'contribution_id must be a positive whole number'],
    [{ id: '5', ts: '20241127130000', optout: 'maybe' }, 'optout must be 0 or 1'],
    [{ id: '5', ts: '20241127130000', utm_source: { a: 1 } }, 'utm_source must be a string'],
  ])('should reject %j with "%s"', (input, reason) => {
    expect(() => normaliseTrackingMessage(input)).toThrow(new MalformedTrackingMessageError(reason));
  });

  it("should accept the CRM's contribution_id update, which carries no time, as a message without ts", () => {
    const message = normaliseTrackingMessage(crmContribution);

    expect(message).toEqual({ id: 48213400, ts: null, fields: { contribution_id: 95011240 } });
  });

  it("should take tracking_date (YYYY-mm-dd HH:MM:SS, UTC) as the time of the CRM's messages without ts", () => {
    const generated = normaliseTrackingMessage(crmGenerated);
    const audited = normaliseTrackingMessage(audit);

    expect(generated).toEqual({ id: 48213401, ts: '20241127132000', fields: { utm_source: '..cc', utm_medium: 'civicrm', country: 'BR' } });
    expect(audited.ts).toBe('20241127132500');
    expect(audited.fields).toEqual({ utm_source: 'audit..cc', utm_medium: 'audit', payment_method: 'cc' });
  });

  it('should read a tracking_date in unix seconds, as a number or digits', () => {
    expect(normaliseTrackingMessage({ id: '5', tracking_date: 1732713600 }).ts).toBe('20241127132000');
    expect(normaliseTrackingMessage({ id: '5', tracking_date: '1732713600' }).ts).toBe('20241127132000');
  });

  it('should let ts win over tracking_date, and fall back to tracking_date when ts is blank', () => {
    expect(normaliseTrackingMessage({ id: '5', ts: '20241127130000', tracking_date: '2024-11-27 13:20:00' }).ts).toBe('20241127130000');
    expect(normaliseTrackingMessage({ id: '5', ts: '', tracking_date: '2024-11-27 13:20:00' }).ts).toBe('20241127132000');
    expect(normaliseTrackingMessage({ id: '5', ts: null, tracking_date: null }).ts).toBeNull();
  });

  it('should reject anything that is not a JSON object', () => {
    expect(() => normaliseTrackingMessage([1])).toThrow('message must be a JSON object');
    expect(() => parseTrackingBody('{"id": ')).toThrow('body is not valid JSON');
  });

  it('should not quote field values in its errors', () => {
    expect(() => normaliseTrackingMessage({ id: 'donor@example.org', ts: '20241127130000' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('donor') }),
    );
  });
});

describe('formatTs', () => {
  it('should format a moment as YYYYmmddHHMMSS in UTC', () => {
    expect(formatTs(new Date('2024-11-27T13:04:12.345Z'))).toBe('20241127130412');
  });
});

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
    [{ id: '5' }, 'ts is missing'],
    [{ id: '5', ts: '2024-11-27 13:00' }, 'ts must be 14 digits, YYYYmmddHHMMSS in UTC'],
    [{ id: '5', ts: '20241331130000' }, 'ts is not a valid date and time'],
    [{ id: '5', ts: '20241127250000' }, 'ts is not a valid date and time'],
    [{ id: '5', ts: '20241127130000', contribution_id: 'x1' }, 'contribution_id must be a positive whole number'],
    [{ id: '5', ts: '20241127130000', optout: 'maybe' }, 'optout must be 0 or 1'],
    [{ id: '5', ts: '20241127130000', utm_source: { a: 1 } }, 'utm_source must be a string'],
  ])('should reject %j with "%s"', (input, reason) => {
    expect(() => normaliseTrackingMessage(input)).toThrow(new MalformedTrackingMessageError(reason));
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

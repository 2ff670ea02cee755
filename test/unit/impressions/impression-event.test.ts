import { parseBannerImpression, parseLandingPageImpression } from '../../../lib/impressions/impression-event';

function bannerEvent(overrides: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) {
  return JSON.stringify({
    dt: '2024-11-27T13:00:07Z',
    uuid: 'u1',
    userAgent: { is_bot: false },
    ...envelope,
    event: { db: 'enwiki', uselang: 'en', country: 'US', statusCode: '6', banner: 'B1', campaign: 'C1', ...overrides },
  });
}

describe('parseBannerImpression', () => {
  it('should read a shown banner event', () => {
    const result = parseBannerImpression(bannerEvent());

    expect(result).toEqual({
      valid: true,
      event: { time: Date.UTC(2024, 10, 27, 13, 0, 7), uuid: 'u1', shown: true, bot: false, banner: 'B1', campaign: 'C1', db: 'enwiki', uselang: 'en', country: 'US', sampleRate: null },
    });
  });

  it.each([
    [0.01, 0.01],
    ['0.25', 0.25],
    [1, 1],
    [0, null],
    [1.5, null],
    ['often', null],
    [true, null],
  ])('should read impressionEventSampleRate %p as %p without rejecting the event', (value, expected) => {
    const result = parseBannerImpression(bannerEvent({ impressionEventSampleRate: value }));

    expect(result).toMatchObject({ valid: true, event: { sampleRate: expected } });
  });

  it('should accept dt with milliseconds and an offset', () => {
    const result = parseBannerImpression(bannerEvent({}, { dt: '2024-11-27T14:00:07.250+01:00' }));

    expect(result.valid && result.event.time).toBe(Date.UTC(2024, 10, 27, 13, 0, 7, 250));
  });

  it.each([
    ['dt that does not parse', {}, { dt: 'not-a-date' }, 'dt is not an ISO 8601 UTC time'],
    ['dt without a time zone', {}, { dt: '2024-11-27T13:00:07' }, 'dt is not an ISO 8601 UTC time'],
    ['dt after what a TIMESTAMP holds', {}, { dt: '2040-01-01T00:00:00Z' }, 'dt is outside what a TIMESTAMP holds (1970-01-01 00:01 to 2038-01-19 03:14:07 UTC)'],
    ['dt before it', {}, { dt: '1969-12-31T23:59:59Z' }, 'dt is outside what a TIMESTAMP holds (1970-01-01 00:01 to 2038-01-19 03:14:07 UTC)'],
    ['dt in the first minute of 1970', {}, { dt: '1970-01-01T00:00:30Z' }, 'dt is outside what a TIMESTAMP holds (1970-01-01 00:01 to 2038-01-19 03:14:07 UTC)'],
    ['a three-letter country', { country: 'USA' }, {}, 'event.country is not two letters'],
    ['an upper-case uselang', { uselang: 'EN' }, {}, 'event.uselang is not a language code'],
    ['a uselang over 24 characters', { uselang: 'a'.repeat(25) }, {}, 'event.uselang is not a language code'],
    ['a missing uselang', { uselang: undefined }, {}, 'event.uselang is missing'],
    ['a db with a space', { db: 'en wiki' }, {}, 'event.db is not a wiki database name'],
    ['a db over 128 characters', { db: 'a'.repeat(129) }, {}, 'event.db is not a wiki database name'],
    ['a banner with punctuation', { banner: 'B2425 bad banner!' }, {}, 'event.banner has characters outside [A-Za-z0-9_]'],
    ['an empty banner', { banner: '' }, {}, 'event.banner has characters outside [A-Za-z0-9_]'],
    ['a campaign with <', { campaign: 'C<1>' }, {}, 'event.campaign has characters not allowed'],
    ['an object as campaign', { campaign: { a: 1 } }, {}, 'event.campaign is not text'],
  ])('should reject %s', (_what, overrides, envelope, reason) => {
    expect(parseBannerImpression(bannerEvent(overrides, envelope))).toEqual({ valid: false, reason, uuid: 'u1' });
  });

  it('should reject what is not a JSON object, without throwing', () => {
    expect(parseBannerImpression('{"dt":')).toMatchObject({ valid: false, reason: 'not JSON' });
    expect(parseBannerImpression('[1]')).toMatchObject({ valid: false, reason: 'not a JSON object' });
    expect(parseBannerImpression(null)).toMatchObject({ valid: false, reason: 'empty record' });
    expect(parseBannerImpression('{"dt":"2024-11-27T13:00:07Z"}')).toMatchObject({ valid: false, reason: 'event is missing or not an object' });
  });

  it('should accept the campaign characters the legacy rule allowed, Unicode letters included', () => {
    const result = parseBannerImpression(bannerEvent({ campaign: 'C2425 Fundación-año_1.0@$%+&|()/:' }));

    expect(result.valid && result.event.campaign).toBe('C2425 Fundación-año_1.0@$%+&|()/:');
  });

  it('should truncate banner and campaign to 255 characters instead of rejecting them', () => {
    const result = parseBannerImpression(bannerEvent({ banner: 'B'.repeat(300), campaign: 'C'.repeat(300) }));

    expect(result.valid && [result.event.banner.length, result.event.campaign.length]).toEqual([255, 255]);
  });

  it('should read absent banner, campaign and country as empty and null', () => {
    const result = parseBannerImpression(bannerEvent({ banner: undefined, campaign: undefined, country: undefined }));

    expect(result.valid && [result.event.banner, result.event.campaign, result.event.country]).toEqual(['', '', null]);
  });

  it('should flag hidden banners and bots', () => {
    const hidden = parseBannerImpression(bannerEvent({ statusCode: '2.11' }));
    const bot = parseBannerImpression(bannerEvent({}, { userAgent: { is_bot: true } }));

    expect(hidden.valid && hidden.event.shown).toBe(false);
    expect(bot.valid && bot.event.bot).toBe(true);
  });
});

describe('parseLandingPageImpression', () => {
  const landingEvent = (event: Record<string, unknown>, wiki = 'donatewiki') => JSON.stringify({ dt: '2024-11-27T13:02:10Z', uuid: 'u2', wiki, event });

  it('should read every field, absent ones as null', () => {
    const result = parseLandingPageImpression(landingEvent({ landingpage: 'Ways_to_Give', utm_source: 'fr-redir', contact_id: 4412 }));

    expect(result).toMatchObject({ valid: true, event: { wiki: 'donatewiki', landingpage: 'Ways_to_Give', utm_source: 'fr-redir', contact_id: '4412', country: null, language: null, utm_medium: null } });
  });

  it.each([
    ['a language that is not a code', { language: 'English!' }, 'event.language is not a language code'],
    ['a utm_source with <', { utm_source: '<b>' }, 'event.utm_source has characters not allowed'],
    ['a two-digit country', { country: '12' }, 'event.country is not two letters'],
  ])('should reject %s', (_what, event, reason) => {
    expect(parseLandingPageImpression(landingEvent(event))).toMatchObject({ valid: false, reason });
  });

  it('should truncate utm_key to 128 characters', () => {
    const result = parseLandingPageImpression(landingEvent({ utm_key: 'k'.repeat(200) }));

    expect(result.valid && result.event.utm_key?.length).toBe(128);
  });
});

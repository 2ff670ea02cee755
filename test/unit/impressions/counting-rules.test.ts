import { bannerCell, composeLandingPage, estimatedImpressions, landingPageRow } from '../../../lib/impressions/counting-rules';
import { fixtureLines, LANDING_PAGE_FIXTURE } from '../../support/impressions';
import { parseLandingPageImpression, type BannerImpressionEvent, type LandingPageImpressionEvent } from '../../../lib/impressions/impression-event';

const shown: BannerImpressionEvent = {
  time: Date.UTC(2024, 10, 27, 13, 0, 59, 999),
  uuid: null,
  shown: true,
  bot: false,
  banner: 'B1',
  campaign: 'C1',
  db: 'enwiki',
  uselang: 'en',
  country: 'US',
  sampleRate: 0.01,
};

const landing: LandingPageImpressionEvent = {
  time: Date.UTC(2024, 10, 27, 13, 2, 10, 600),
  uuid: null,
  bot: false,
  wiki: 'donatewiki',
  landingpage: 'Special:LandingPage',
  country: null,
  language: null,
  utm_source: null,
  utm_campaign: null,
  utm_medium: null,
  utm_key: null,
  contact_id: null,
  link_id: null,
  template: null,
  appeal: null,
  appeal_template: null,
  form_template: null,
  form_countryspecific: null,
};

describe('bannerCell', () => {
  it('should count a shown event in its UTC minute with its dimensions', () => {
    expect(bannerCell(shown)).toEqual({ minute: Date.UTC(2024, 10, 27, 13, 0), banner: 'B1', campaign: 'C1', project: 'enwiki', language: 'en', country: 'US' });
  });

  it('should not count hidden banners or bots', () => {
    expect(bannerCell({ ...shown, shown: false })).toBeNull();
    expect(bannerCell({ ...shown, bot: true })).toBeNull();
  });

  it.each([
    ['commonswiki', 'commonswiki'],
    ['enwiktionary', 'other_project'],
    ['wikimania2025', 'other_project'],
  ])('should store project %s as %s', (db, project) => {
    expect(bannerCell({ ...shown, db })?.project).toBe(project);
  });

  it.each([
    ['de', 'de'],
    ['uk', 'uk'],
    ['pt-br', 'other'],
    ['zh-hans', 'other'],
    ['gsw', 'other'],
  ])('should store language %s as %s', (uselang, language) => {
    expect(bannerCell({ ...shown, uselang })?.language).toBe(language);
  });

  it('should store countries upper case and a missing one as XX', () => {
    expect(bannerCell({ ...shown, country: 'gb' })?.country).toBe('GB');
    expect(bannerCell({ ...shown, country: null })?.country).toBe('XX');
  });
});

describe('landingPageRow', () => {
  it('should only keep donatewiki page views', () => {
    expect(landingPageRow({ ...landing, wiki: 'enwiki' })).toBeNull();
  });

  it('should ignore the page view of a declared bot, as the legacy loader did', () => {
    // arrange: the fixture's donatewiki view, once from a browser and once from a bot
    const view = JSON.parse(fixtureLines(LANDING_PAGE_FIXTURE)[1]!) as Record<string, unknown>;
    const parsed = (isBot: boolean) => parseLandingPageImpression(JSON.stringify({ ...view, userAgent: { is_bot: isBot } }));

    // act
    const [browser, bot] = [parsed(false), parsed(true)];

    // assert
    expect(browser.valid && landingPageRow(browser.event)).toMatchObject({ utmSource: 'fr-redir', project: 'donatewiki' });
    expect(bot.valid && landingPageRow(bot.event)).toBeNull();
  });

  it('should default country to XX, language to en and utm values to empty strings, at second precision', () => {
    expect(landingPageRow({ ...landing, landingpage: 'Ways_to_Give' })).toEqual({
      time: Date.UTC(2024, 10, 27, 13, 2, 10),
      utmSource: '',
      utmCampaign: '',
      utmMedium: '',
      utmKey: '',
      landingpage: 'Ways_to_Give',
      project: 'donatewiki',
      language: 'en',
      country: 'XX',
      contactId: null,
      linkId: '',
    });
  });

  it('should keep the contact and link of a view that carries them, and no contact for an empty id', () => {
    expect(landingPageRow({ ...landing, contact_id: '4412', link_id: 'sidebar' })).toMatchObject({ contactId: '4412', linkId: 'sidebar' });
    expect(landingPageRow({ ...landing, contact_id: '', link_id: 'sidebar' })).toMatchObject({ contactId: null, linkId: 'sidebar' });
  });
});

describe('composeLandingPage', () => {
  it('should join the parts of Special:LandingPage, each after its last dash', () => {
    const page = composeLandingPage({
      ...landing,
      template: 'Lp-layout-default',
      appeal_template: 'Appeal-template-default',
      appeal: 'JimmyQuote',
      form_template: 'Lp-form-ENFR',
      form_countryspecific: 'Form-countryspecific-control',
    });

    expect(page).toBe('default~default~JimmyQuote~ENFR~control');
  });

  it('should use default for missing parts and the text before a trailing dash', () => {
    expect(composeLandingPage({ ...landing, appeal: 'Appeal-', form_template: '' })).toBe('default~default~Appeal~default~default');
  });

  it('should keep other page names as they are', () => {
    expect(composeLandingPage({ ...landing, landingpage: 'Ways_to_Give', template: 'Lp-x' })).toBe('Ways_to_Give');
  });
});

describe('estimatedImpressions', () => {
  it('should count an event as the inverse of its own sample rate', () => {
    expect(estimatedImpressions(shown)).toBe(100);
    expect(estimatedImpressions({ ...shown, sampleRate: 0.25 })).toBe(4);
  });

  it('should count an event without a usable sample rate as itself', () => {
    expect(estimatedImpressions({ ...shown, sampleRate: null })).toBe(1);
  });
});

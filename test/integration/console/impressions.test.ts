/**
 * The console's impressions page and CLI figures: the loader's lag per topic and partition from a
 * real Kafka cluster (the kcat mock) against the offsets stored in MariaDB, and one campaign's
 * events per minute as a chart.
 */
import { randomBytes } from 'node:crypto';
import { bannerimpressions, landingpageimpressionRaw } from '../../../lib/db/schema';
import { lockStoredOffset, storeOffset } from '../../../lib/impressions/offset-store';
import { produce, quietKafkaClient, startKafkaMock, type KafkaMock } from '../../../scripts/stack/kafka';
import { CONSOLE_TEST_TOKEN, createConsoleFixture, type ConsoleFixture } from '../../support/console';

jest.setTimeout(60_000);

describe('the console\'s impressions page', () => {
  let mock: KafkaMock;
  let f: ConsoleFixture;
  const topic = `itest-console-impressions-${randomBytes(3).toString('hex')}`;
  const get = (path: string) => f.app.request(path, { headers: { authorization: `Bearer ${CONSOLE_TEST_TOKEN}` } });
  const cells = (page: string, id: string) => {
    const table = page.slice(page.indexOf(`id="${id}"`), page.indexOf('</table>', page.indexOf(`id="${id}"`)));
    return [...table.matchAll(/<tr>(.*?)<\/tr>/g)].slice(1).map(([, row]) => [...row!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(([, cell]) => cell));
  };

  beforeAll(async () => {
    mock = await startKafkaMock();
    f = await createConsoleFixture({ kafkaBrokers: mock.brokers, impressionsTopics: [topic] });
    const kafka = quietKafkaClient(mock.brokers);
    await produce(kafka, topic, [...Array.from({ length: 5 }, () => ({ partition: 0, value: '{}' })), ...Array.from({ length: 3 }, () => ({ partition: 1, value: '{}' }))]);
    // The loader's own statements: partition 0 applied up to offset 2; partition 1 never.
    await f.database.db.transaction(async (tx) => {
      const source = { consumerGroup: f.options.consumerGroup, topic, partition: 0 };
      await lockStoredOffset(tx, source);
      await storeOffset(tx, source, 2, { counted: 1, ignored: 1, invalid: 0 });
    });
  });

  afterAll(async () => {
    await f.close();
    await mock.stop();
  });

  it('should show per partition Kafka\'s end offset, the stored offset, the lag and the counted, ignored and invalid events', async () => {
    const page = await (await get('/console/impressions')).text();

    const rows = cells(page, 'offsets').filter((r) => r[0] === topic);
    expect(rows.slice(0, 2)).toEqual([
      [topic, '0', '5', '2', '3', '1', '1', '0', expect.any(String)],
      [topic, '1', '3', '—', '—', '0', '0', '0', '—'],
    ]);
    expect(rows.map((r) => r[1])).toEqual(['0', '1', '2', '3']);
    expect(cells(page, 'topic-lag')).toEqual([[topic, '—']]);
    expect(page).not.toContain('role="alert"');
  });

  it('should give the same lag to the library call the CLI prints', async () => {
    const lag = await f.ops.impressionsLag();

    expect(lag.kafkaError).toBeUndefined();
    expect(lag.partitions.filter((p) => p.lag !== null)).toEqual([expect.objectContaining({ topic, partition: 0, endOffset: 5, nextOffset: 2, lag: 3 })]);
  });

  it('should serve the known lags to Prometheus and leave the unknown ones out', async () => {
    const text = await f.ops.prometheus();

    expect(text).toContain(`buffer_impressions_lag_events{topic="${topic}",partition="0"} 3\n`);
    expect(text).not.toContain(`buffer_impressions_lag_events{topic="${topic}",partition="1"}`);
  });

  it('should chart one campaign\'s banner impressions and landing page views per minute over the last hour', async () => {
    const campaign = `C_${randomBytes(3).toString('hex')}`;
    const minute = (ago: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 - ago * 60_000);
    const dims = { projectId: 1, languageId: 1, countryId: 1 };
    await f.database.db.insert(bannerimpressions).values([
      { timestamp: minute(5), banner: 'B1', campaign, count: 7, ...dims },
      { timestamp: minute(5), banner: 'B2', campaign, count: 4, ...dims },
      { timestamp: minute(1), banner: 'B1', campaign, count: 3, ...dims },
      { timestamp: minute(90), banner: 'B1', campaign, count: 100, ...dims },
      { timestamp: minute(1), banner: 'B1', campaign: 'another', count: 50, ...dims },
    ]);
    await f.database.db.insert(landingpageimpressionRaw).values([{ timestamp: minute(2), utmCampaign: campaign, ...dims }]);

    const series = await f.ops.campaignMinutes(campaign);
    const page = await (await get(`/console/impressions?campaign=${campaign}`)).text();

    expect(series.banner).toHaveLength(60);
    expect([series.banner[54], series.banner[58], series.banner.reduce((a, b) => a + b, 0)]).toEqual([11, 3, 14]);
    expect(series.landingPage[57]).toBe(1);
    expect(page).toContain('id="campaign-chart"');
    expect(page).toContain('data-series="banner impressions">14<');
    expect(page).toContain('data-series="landing page views">1<');
    expect(page).toMatch(/<polyline [^>]*points="[^"]+"/);
  });
});

describe('the console\'s impressions page without Kafka', () => {
  it('should still answer with the stored offsets and say that Kafka is unreachable', async () => {
    const f = await createConsoleFixture({ impressionsTopics: ['itest-no-kafka'] });
    try {
      const response = await f.app.request('/console/impressions', { headers: { authorization: `Bearer ${CONSOLE_TEST_TOKEN}` } });
      const page = await response.text();

      expect(response.status).toBe(200);
      expect(page).toMatch(/role="alert">Kafka did not report end offsets/);
    } finally {
      await f.close();
    }
  });
});

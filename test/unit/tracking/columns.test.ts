import { splitUtmSource } from '../../../lib/tracking/contribution-source';
import { toSummaryRow, type Truncation } from '../../../lib/tracking/summary-store';

describe('splitUtmSource', () => {
  it('should split a utm_source with exactly two dots', () => {
    expect(splitUtmSource('B2425_1127_ptBR_dsk_p1_lg_txt_cnt.no-LP.cc')).toEqual({
      banner: 'B2425_1127_ptBR_dsk_p1_lg_txt_cnt',
      landingPage: 'no-LP',
      paymentMethod: 'cc',
    });
  });

  it.each(['', 'banner', 'banner.lp', 'a.b.c.d'])('should not split %j', (value) => {
    expect(splitUtmSource(value)).toBeNull();
  });
});

describe('truncation', () => {
  it('should truncate over-long summary values to their column and report field and lengths', () => {
    const truncations: Truncation[] = [];
    const row = toSummaryRow(
      { id: 1, ts: '20241127130000', fields: { country: 'BRA', utm_medium: 'm'.repeat(200) }, setBy: { country: 3, utm_medium: 4 }, setAt: {} },
      truncations,
    );

    expect(row.country).toBe('BR');
    expect(row.utmMedium).toBe('m'.repeat(128));
    expect(truncations).toEqual([
      { trackingId: 1, field: 'utm_medium', length: 200, limit: 128, eventId: 4 },
      { trackingId: 1, field: 'country', length: 3, limit: 2, eventId: 3 },
    ]);
  });
});

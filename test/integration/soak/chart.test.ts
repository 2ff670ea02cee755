/** The soak's chart drawn as SVG and rendered to PNG by Debian's headless Chromium. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chartSvg, renderPng, type ChartSample } from '../../../scripts/soak/chart';

jest.setTimeout(60_000);

describe('soak chart', () => {
  it('should render throughput, queue depth and every fault into a PNG of the chart\'s size', async () => {
    // Arrange
    const dir = mkdtempSync(path.join(tmpdir(), 'soak-chart-'));
    const file = path.join(dir, 'chart.png');
    const samples: ChartSample[] = Array.from({ length: 60 }, (_, i) => ({ atMs: i * 2000, pushedPerSecond: 300, processedPerSecond: 280 + (i % 5) * 10, depth: { pending: i * 10, 'payments-init': 100 } }));
    const faults = [{ atMs: 20_000, kind: 'kill-consumer' }, { atMs: 50_000, kind: 'restart-redis' }, { atMs: 90_000, kind: 'slow-processors' }];

    try {
      // Act
      const svg = chartSvg(samples, faults, { title: 'a run', endMs: 120_000 });
      await renderPng(svg, file);
      const png = readFileSync(file);

      // Assert: a PNG whose header (IHDR) gives the SVG's size, and one tick per fault.
      const [, width, height] = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!;
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([Number(width), Number(height)]);
      expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="3" height="14"/g)).toHaveLength(faults.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

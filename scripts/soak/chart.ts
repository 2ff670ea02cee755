/**
 * The soak's chart, for a person to look at a run: throughput (messages pushed and processed
 * per second), queue depth per queue, and the faults on a timeline, one row per kind. Drawn as
 * SVG by hand (three panels of lines and ticks need no charting library) and rendered to PNG by
 * Debian's headless Chromium through playwright-core, as the console's screenshots are.
 */
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { FAULT_KINDS } from './fault-schedule';

export interface ChartSample {
  atMs: number;
  pushedPerSecond: number;
  processedPerSecond: number;
  /** Messages waiting (ready, in flight, delayed) per queue. */
  depth: Record<string, number>;
}

export interface ChartFault {
  atMs: number;
  kind: string;
}

const WIDTH = 1200;
const LEFT = 130;
const RIGHT = 30;
const PANEL = 220;
const GAP = 60;
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const CHROMIUM = process.env.SOAK_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The chart as an SVG document. `endMs` is the end of the time axis (the drain included). */
export function chartSvg(samples: readonly ChartSample[], faults: readonly ChartFault[], { title, endMs }: { title: string; endMs: number }): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (ms: number) => LEFT + (Math.max(0, ms) / Math.max(1, endMs)) * plotWidth;
  const parts: string[] = [];
  const top = (panel: number) => 75 + panel * (PANEL + GAP);
  const faultRow = 18;
  const height = top(2) + faultRow * FAULT_KINDS.length + 60;

  const panel = (index: number, label: string, series: Array<{ name: string; points: Array<[number, number]> }>) => {
    const y0 = top(index);
    const max = Math.max(1, ...series.flatMap((s) => s.points.map(([, v]) => v)));
    const y = (v: number) => y0 + PANEL - (v / max) * PANEL;
    parts.push(`<text x="${LEFT}" y="${y0 - 10}" class="label">${escape(label)}</text>`);
    parts.push(`<rect x="${LEFT}" y="${y0}" width="${plotWidth}" height="${PANEL}" class="frame"/>`);
    for (const fraction of [0, 0.5, 1]) {
      parts.push(`<text x="${LEFT - 8}" y="${y(max * fraction) + 4}" class="tick" text-anchor="end">${Math.round(max * fraction)}</text>`);
    }
    series.forEach((s, i) => {
      const colour = COLOURS[i % COLOURS.length]!;
      if (s.points.length > 0) parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`);
      parts.push(`<text x="${LEFT + 10 + i * 190}" y="${y0 + 16}" fill="${colour}" class="legend">${escape(s.name)}</text>`);
    });
  };

  panel(0, 'throughput (messages per second)', [
    { name: 'pushed', points: samples.map((s) => [s.atMs, s.pushedPerSecond]) },
    { name: 'processed', points: samples.map((s) => [s.atMs, s.processedPerSecond]) },
  ]);
  const queues = [...new Set(samples.flatMap((s) => Object.keys(s.depth)))];
  panel(1, 'queue depth (messages waiting)', queues.map((queue) => ({ name: queue, points: samples.map((s) => [s.atMs, s.depth[queue] ?? 0]) })));

  const y0 = top(2);
  parts.push(`<text x="${LEFT}" y="${y0 - 10}" class="label">faults (${faults.length})</text>`);
  FAULT_KINDS.forEach((kind, i) => {
    const row = y0 + i * faultRow;
    const colour = COLOURS[i % COLOURS.length]!;
    parts.push(`<text x="${LEFT - 8}" y="${row + 12}" class="tick" text-anchor="end">${kind}</text>`);
    parts.push(`<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${row + 8}" y2="${row + 8}" class="grid"/>`);
    for (const fault of faults.filter((f) => f.kind === kind)) parts.push(`<rect x="${(x(fault.atMs) - 1.5).toFixed(1)}" y="${row + 1}" width="3" height="14" fill="${colour}"/>`);
  });
  const axis = top(2) + faultRow * FAULT_KINDS.length + 20;
  const minutes = endMs / 60_000;
  const step = minutes > 20 ? 5 : minutes > 5 ? 1 : 0.5;
  for (let m = 0; m <= minutes; m += step) parts.push(`<text x="${x(m * 60_000)}" y="${axis}" class="tick" text-anchor="middle">${m} min</text>`);

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    '<style>text{font-family:sans-serif}.label{font-size:14px;font-weight:bold}.tick{font-size:11px;fill:#444}.legend{font-size:12px}.frame{fill:none;stroke:#999}.grid{stroke:#ddd}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    `<text x="${LEFT}" y="24" class="label">${escape(title)}</text>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

/** Renders `svg` to a PNG file of the same size. */
export async function renderPng(svg: string, file: string): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: 800 } });
    await page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`);
    const image = await page.locator('svg').screenshot({ type: 'png' });
    writeFileSync(file, image);
  } finally {
    await browser.close();
  }
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

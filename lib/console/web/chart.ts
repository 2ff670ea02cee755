/**
 * Charts of per-minute counts as inline SVG, rendered on the server: no script and no front-end
 * build, so the pages keep their script-free Content-Security-Policy (SVG presentation
 * attributes are not styles). Every chart also carries its figures as text (a title per point
 * and a total per series), so that the numbers can be read and tested without the picture.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** One line: a name, a colour and one value per minute (oldest first). */
export interface ChartSeries {
  name: string;
  colour: string;
  values: number[];
}

export interface MinuteChart {
  /** The id the page (and its tests) find the chart by. */
  id: string;
  /** The first minute's start. */
  start: Date;
  series: ChartSeries[];
}

const WIDTH = 720;
const HEIGHT = 160;
const PAD = { left: 44, right: 8, top: 8, bottom: 22 };

function minuteLabel(date: Date): string {
  return date.toISOString().slice(11, 16);
}

/** A line chart of per-minute counts with a time axis (UTC) and the largest value on the y axis. */
export function minuteChart(chart: MinuteChart): HtmlEscapedString | Promise<HtmlEscapedString> {
  const minutes = Math.max(1, ...chart.series.map((s) => s.values.length));
  const max = Math.max(1, ...chart.series.flatMap((s) => s.values));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (minutes === 1 ? plotW / 2 : (i / (minutes - 1)) * plotW);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const at = (i: number) => new Date(chart.start.getTime() + i * 60_000);
  const ticks = [0, Math.floor((minutes - 1) / 2), minutes - 1].filter((v, i, all) => all.indexOf(v) === i);
  const lines = chart.series.map((s) => {
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return html`<polyline fill="none" stroke="${s.colour}" stroke-width="1.5" points="${points}"><title>${s.name}</title></polyline>${s.values.map((v, i) => (v > 0 ? html`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="1.6" fill="${s.colour}"><title>${minuteLabel(at(i))} ${s.name}: ${v}</title></circle>` : ''))}`;
  });
  return html`<figure class="chart" id="${chart.id}"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="per minute, ${minuteLabel(chart.start)} to ${minuteLabel(at(minutes - 1))} UTC">
<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#e3e6ec"/>
<text x="${PAD.left - 4}" y="${PAD.top + 10}" text-anchor="end" font-size="10" fill="#667085">${max}</text><text x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end" font-size="10" fill="#667085">0</text>
${ticks.map((i) => html`<text x="${x(i).toFixed(1)}" y="${HEIGHT - 6}" text-anchor="${i === 0 && minutes > 1 ? 'start' : i === minutes - 1 && minutes > 1 ? 'end' : 'middle'}" font-size="10" fill="#667085">${minuteLabel(at(i))}</text>`)}
${lines}</svg>
<figcaption>per minute (UTC): ${chart.series.map((s) => html`<span class="legend"><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="${s.colour}"/></svg> ${s.name}: <strong data-series="${s.name}">${s.values.reduce((a, b) => a + b, 0)}</strong> </span>`)}</figcaption></figure>`;
}

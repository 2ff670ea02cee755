/** Helpers for the impressions tests: fixtures, and waiting for the loader (the tables read back: scripts/traffic/impression-tables.ts). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const BANNER_FIXTURE = path.join(__dirname, '../../fixtures/centralnotice-impressions.jsonl');
export const LANDING_PAGE_FIXTURE = path.join(__dirname, '../../fixtures/landingpage-impressions.jsonl');

/** The non-blank lines of a fixture file. */
export function fixtureLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

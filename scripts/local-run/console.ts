/**
 * The local run's console (the `console` function under serverless-offline): its sign-in token
 * goes to a file only the user can read, never into the run's output; the note says where the
 * console is and how to open it again on the run's stores once the run has ended.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const TOKEN_FILE = '.local-stack/last-run/console-token';

/** Writes the token file and returns the summary's note about the console. */
export function localConsoleNote(httpUrl: string, token: string, env: Record<string, string | undefined>): string {
  const file = path.resolve(__dirname, '../..', TOKEN_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return (
    `console: ${httpUrl}/console/ while the run lasts (sign in with the token in ${TOKEN_FILE}); ` +
    `afterwards on the run's stores: CONSOLE_TOKEN=$(cat ${TOKEN_FILE}) REDIS_URL=${env.REDIS_URL} DATABASE_URL=${env.DATABASE_URL} npm run console`
  );
}

/**
 * One pass through the console as an operator makes it, through serverless-offline's HTTP API
 * (so the `console` function runs as deployed): a request without a token is refused, the
 * queues and damaged pages answer, and revealing one damaged row writes an audit row (which is
 * also what fills console_audit for the run's "every table has rows"). Returns the problems found.
 */
export async function exerciseConsole(httpUrl: string, token: string): Promise<string[]> {
  try {
    return await exercise(httpUrl, token);
  } catch (error) {
    return [`console: ${(error as Error).message}`];
  }
}

async function exercise(httpUrl: string, token: string): Promise<string[]> {
  const base = `${httpUrl}/console`;
  const auth = { authorization: `Bearer ${token}` };
  const problems: string[] = [];
  const anonymous = await fetch(`${base}/`);
  if (anonymous.status !== 401) problems.push(`console: a request without a token answered ${anonymous.status}, not 401`);
  const queues = await fetch(`${base}/`, { headers: auth });
  if (queues.status !== 200) problems.push(`console: the queues page answered ${queues.status}`);
  const search = await fetch(`${base}/damaged`, { headers: auth });
  const page = await search.text();
  const id = /href="\/console\/damaged\/(\d+)"/.exec(page)?.[1];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  if (search.status !== 200 || !id || !csrf) {
    problems.push(`console: the damaged page answered ${search.status}${id ? '' : ' without a row to open'}`);
    return problems;
  }
  const reveal = await fetch(`${base}/damaged/${id}/reveal`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }) });
  if (reveal.status !== 200) problems.push(`console: revealing damaged row ${id} answered ${reveal.status}`);
  return problems;
}

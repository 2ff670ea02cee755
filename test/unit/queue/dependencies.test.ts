/**
 * The queue library is the bottom layer: consumers, pipelines and handlers use it, never the other
 * way round, so a backend can be built, bundled and tested without them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const QUEUE_LIBRARY = path.join(ROOT, 'lib/queue');

/** What lib/queue may import from outside itself, without extension, relative to the repository. */
const ALLOWED_OUTSIDE = new Set([
  'lib/config',
  'lib/errors',
  // A leaf (it imports nothing): the one rule for what a JSON object body is, shared with every layer.
  'lib/json-object',
  'lib/log',
  // Data, not code: the one definition of the SQS queues, which the generators read too.
  'queues/definitions.json',
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return name.endsWith('.ts') ? [file] : [];
  });
}

/** Every relative module specifier of a file: static imports, re-exports, import() and require(). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  return specifiers.filter((specifier) => specifier.startsWith('.'));
}

describe('lib/queue dependencies', () => {
  it('should import nothing from outside lib/queue except lib/config, lib/errors, lib/json-object and lib/log', () => {
    const outside: string[] = [];

    for (const file of sourceFiles(QUEUE_LIBRARY)) {
      for (const specifier of relativeImports(file)) {
        const target = path.relative(ROOT, path.resolve(path.dirname(file), specifier)).replace(/\.ts$/, '');
        if (target.startsWith('lib/queue/') || target === 'lib/queue') continue;
        if (!ALLOWED_OUTSIDE.has(target)) outside.push(`${path.relative(ROOT, file)} → ${target}`);
      }
    }

    expect(outside).toEqual([]);
  });
});

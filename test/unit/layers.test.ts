/**
 * The layers of the house run one way (docs/architecture.md §2): functions/ → the capability
 * folders of lib/ → lib/consumer → lib/queue and lib/db, with lib/runtime (how handlers open
 * their clients) above the capabilities, and a few leaf modules everyone may use. lib/queue is a
 * pure transport: it imports nothing outside itself but configuration, errors, logging and the
 * JSON rule. A capability
 * names the clients it needs in its own types; only functions/ and scripts know the runtime.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Modules with no project imports beyond each other: configuration, errors, logging, the job type, JSON and truncation rules, content hashes, request signing and HTTP shapes. */
const LEAVES = ['lib/config', 'lib/errors', 'lib/log', 'lib/redact', 'lib/job', 'lib/json-object', 'lib/truncate', 'lib/content-hash', 'lib/signing', 'lib/http'];
const CAPABILITIES = ['lib/pending', 'lib/rectifier', 'lib/tracking', 'lib/impressions', 'lib/console', 'lib/cutover'];
const BELOW_CAPABILITIES = ['lib/consumer', 'lib/queue', 'lib/db', ...LEAVES];

/** For each layer (a path prefix), the prefixes its files may import. */
const RULES: Array<{ layer: string; may: string[] }> = [
  { layer: 'functions', may: ['lib/runtime', ...CAPABILITIES.map((c) => `${c}/jobs`), 'lib/tracking/endpoint-job', 'lib/consumer/jobs', ...LEAVES] },
  { layer: 'lib/runtime', may: ['lib/runtime', ...CAPABILITIES, ...BELOW_CAPABILITIES] },
  ...CAPABILITIES.map((layer) => ({ layer, may: [...CAPABILITIES, ...BELOW_CAPABILITIES] })),
  { layer: 'lib/consumer', may: BELOW_CAPABILITIES },
  // A pure transport: built, bundled and tested without the consumer, the database or a capability.
  // Its one outside datum is the queue definitions file, which the generators read too.
  { layer: 'lib/queue', may: ['lib/queue', 'lib/config', 'lib/errors', 'lib/log', 'lib/json-object', 'queues/definitions.json'] },
  { layer: 'lib/db', may: ['lib/db', ...LEAVES] },
  ...LEAVES.map((layer) => ({ layer, may: LEAVES })),
  { layer: 'bench', may: ['bench', 'lib', 'scripts', 'fixtures'] },
  { layer: 'scripts', may: ['scripts', 'lib', 'fixtures', 'bench', 'functions', 'localstack', 'queues'] },
];

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

function within(target: string, prefix: string): boolean {
  return target === prefix || target.startsWith(`${prefix}/`) || target.startsWith(`${prefix}.`);
}

/** Each import of a file under `layer` that none of `may` covers, as "file → target". */
function violations(layer: string, may: string[]): string[] {
  const found: string[] = [];
  const start = path.join(ROOT, layer);
  const files = statSync(start, { throwIfNoEntry: false })?.isDirectory() ? sourceFiles(start) : [`${start}.ts`];
  for (const file of files) {
    for (const specifier of relativeImports(file)) {
      const target = path.relative(ROOT, path.resolve(path.dirname(file), specifier)).replace(/\.ts$/, '');
      if (!may.some((prefix) => within(target, prefix))) found.push(`${path.relative(ROOT, file)} → ${target}`);
    }
  }
  return found;
}

/** Which capabilities each capability imports, by folder. */
function capabilityImports(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const capability of CAPABILITIES) {
    const targets = new Set<string>();
    for (const file of sourceFiles(path.join(ROOT, capability))) {
      for (const specifier of relativeImports(file)) {
        const target = path.relative(ROOT, path.resolve(path.dirname(file), specifier));
        const other = CAPABILITIES.find((c) => c !== capability && within(target, c));
        if (other) targets.add(other);
      }
    }
    graph.set(capability, targets);
  }
  return graph;
}

/** Each circle of capabilities, as "a → b → a" (a capability that imports one importing it back). */
function capabilityCircles(graph: Map<string, Set<string>>): string[] {
  const circles: string[] = [];
  const walk = (start: string, at: string, trail: string[]) => {
    for (const next of graph.get(at) ?? []) {
      if (next === start) circles.push([...trail, start].join(' → '));
      else if (!trail.includes(next) && next > start) walk(start, next, [...trail, next]);
    }
  };
  for (const capability of CAPABILITIES) walk(capability, capability, [capability]);
  return circles;
}

/** The module files of lib/ that a file imports (a folder import is its index). */
function libImports(file: string): string[] {
  return relativeImports(file).flatMap((specifier) => {
    const target = path.resolve(path.dirname(file), specifier).replace(/\.ts$/, '');
    return [`${target}.ts`, path.join(target, 'index.ts')].filter((candidate) => candidate.startsWith(path.join(ROOT, 'lib')) && statSync(candidate, { throwIfNoEntry: false })?.isFile());
  });
}

/** One circle of imports through each strongly tied group of lib/'s files, as "a → b → a" (depth-first search). */
function fileCircles(): string[] {
  const files = sourceFiles(path.join(ROOT, 'lib'));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const circles: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of libImports(file)) {
      if (state.get(next) === 'open') circles.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(ROOT, f)).join(' → '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return circles;
}

describe('the layers of the house', () => {
  it.each(RULES)('should let $layer import only what lies below it', ({ layer, may }) => {
    expect(violations(layer, may)).toEqual([]);
  });

  it('should order the capabilities: none imports one that imports it back', () => {
    expect(capabilityCircles(capabilityImports())).toEqual([]);
  });

  it('should let no module of lib/ import one that imports it back, types included', () => {
    expect(fileCircles()).toEqual([]);
  });

  it('should let no module of lib/ outside lib/runtime import the handler runtime', () => {
    const importers = sourceFiles(path.join(ROOT, 'lib'))
      .filter((file) => !within(path.relative(ROOT, file), 'lib/runtime'))
      .flatMap((file) =>
        relativeImports(file)
          .map((specifier) => path.relative(ROOT, path.resolve(path.dirname(file), specifier)))
          .filter((target) => within(target, 'lib/runtime') || within(target, 'lib/handler-runtime'))
          .map((target) => `${path.relative(ROOT, file)} → ${target}`),
      );

    expect(importers).toEqual([]);
  });
});

/**
 * Comments and documents send a newcomer to other files ("see batch-writer.ts", "docs/queue.md",
 * "docs/architecture.md §4"). This test reads every tracked source and documentation file and
 * fails when one of them cites something the repository does not have: the research notes that
 * live outside it (named in capitals), a path that does not exist, or a section number that is not
 * a heading of docs/architecture.md.
 *
 * What counts as a citation: in code (TypeScript, JavaScript, Lua, YAML, shell) the text of the
 * comments only; in Markdown the whole text. A path with a top-level folder of the repository
 * (`lib/...`, `docs/...`) or a root file (`serverless.yml`) must exist exactly, or relative to the
 * citing file; a shorter name (`settle.ts`, `lua/includes/front.lua`) must exist next to the
 * citing file or be the tail of a tracked path. Placeholders (`lua/<verb>-<numKeys>.lua`) and
 * other packages' files (`node_modules/...`) are not citations.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../..');
const ARCHITECTURE_DOC = 'docs/architecture.md';

/** Files whose citations are checked: sources, tests, scripts, benchmarks, deployment, documents. */
const CHECKED = /^(lib|functions|scripts|bench|test|docs)\/|^serverless[^/]*$|^serverless\/|^README\.md$/;
/** Extensions that have comments (or are prose) and can therefore cite. */
const READABLE = /\.(ts|m?js|cjs|lua|ya?ml|sh|md)$/;

/** A cited file: a name with one of the extensions people cite, not part of a longer token or a placeholder. */
const CITED_PATH = /(?<![\w./<>{}*$@~\\-])((?:\.\.?\/)*[\w.-]*[\w-](?:\/[\w.-]+)*\.(?:ts|md|ya?ml|m?js|cjs|json|lua|sh|sql))(?![\w/<>*{}-])/g;
/** `docs/architecture.md §N`, also as a list: `§N, §M` or `§N and §M` (N a heading's number, as 4 or 9.2). */
const SECTION_CITATION = /docs\/architecture\.md((?:(?:\s*,\s*|\s+and\s+|\s+)§\s*\d+(?:\.\d+)*)+)/g;
const SECTION_NUMBER = /§\s*(\d+(?:\.\d+)*)/g;
/** The name of the research notes kept outside the repository. */
const NOTES_NAME = /\bARCHITECTURE\b/;

interface Comment {
  file: string;
  line: number;
  text: string;
}

interface Repository {
  /** Every file of the working tree that git tracks or would track (not ignored), repo-relative. */
  files: Set<string>;
  /** Section numbers of docs/architecture.md's headings (`## 4. Failures` → `4`). */
  sections: Set<string>;
}

function listRepositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((file) => file !== '' && existsSync(path.join(ROOT, file)));
}

function headingSections(markdown: string): Set<string> {
  const sections = new Set<string>();
  for (const match of markdown.matchAll(/^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s/gm)) sections.add(match[1]!);
  return sections;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Every comment of a TypeScript or JavaScript file, found by the compiler's own scanner. */
function scriptComments(file: string, text: string): Comment[] {
  const kind = /\.(m|c)?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const ranges = new Map<number, number>();
  // Every comment is trivia around some token (on its own lines before it, or after it on its
  // line): walking all tokens finds them all.
  const visit = (node: ts.Node) => {
    for (const range of ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []) ranges.set(range.pos, range.end);
    for (const range of ts.getTrailingCommentRanges(text, node.getEnd()) ?? []) ranges.set(range.pos, range.end);
    for (const child of node.getChildren(source)) visit(child);
  };
  visit(source);
  return [...ranges].map(([pos, end]) => ({ file, line: source.getLineAndCharacterOfPosition(pos).line + 1, text: text.slice(pos, end) }));
}

/** Line comments introduced by `marker` at the start of a line or after white space. */
function lineComments(file: string, text: string, marker: string): Comment[] {
  const comments: Comment[] = [];
  const pattern = new RegExp(`(?:^|\\s)${marker}(.*)$`, 'gm');
  for (const match of text.matchAll(pattern)) comments.push({ file, line: lineAt(text, match.index), text: match[1]! });
  return comments;
}

/** The parts of a file that can cite: comments of code, the whole of prose. */
function citingText(file: string, text: string): Comment[] {
  if (/\.(ts|m?js|cjs)$/.test(file)) return scriptComments(file, text);
  if (file.endsWith('.lua')) return lineComments(file, text, '--');
  if (/\.(ya?ml|sh)$/.test(file)) return lineComments(file, text, '#');
  if (file.endsWith('.md')) return [{ file, line: 1, text }];
  return [];
}

/** True when `cited`, as written in `fromFile`, names a file of the repository. */
function resolvesToFile(cited: string, fromFile: string, files: Set<string>): boolean {
  if (cited.startsWith('node_modules/')) return true;
  const relative = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), cited));
  if (files.has(relative) || files.has(cited)) return true;
  if (cited.startsWith('.')) return false;
  const first = cited.split('/')[0]!;
  const topLevel = [...files].some((file) => file === first || file.startsWith(`${first}/`));
  if (topLevel) return false;
  return [...files].some((file) => file.endsWith(`/${cited}`));
}

/** Problems of one comment: a notes citation, missing paths, missing sections. */
function citationProblems(comment: Comment, repository: Repository): string[] {
  const problems: string[] = [];
  const where = (index: number) => `${comment.file}:${comment.line + lineAt(comment.text, index) - 1}`;
  const notes = NOTES_NAME.exec(comment.text);
  if (notes) problems.push(`${where(notes.index)}: cites the research notes outside the repository; cite docs/ instead`);
  for (const match of comment.text.matchAll(CITED_PATH)) {
    if (!resolvesToFile(match[1]!, comment.file, repository.files)) problems.push(`${where(match.index)}: cites ${match[1]}, which is not in the repository`);
  }
  const numbers: Array<{ number: string; index: number }> = [];
  for (const match of comment.text.matchAll(SECTION_CITATION)) {
    for (const number of match[1]!.matchAll(SECTION_NUMBER)) numbers.push({ number: number[1]!, index: match.index });
  }
  // The document's own cross-references (`see §N`) must land too.
  if (comment.file === ARCHITECTURE_DOC) {
    for (const match of comment.text.matchAll(SECTION_NUMBER)) numbers.push({ number: match[1]!, index: match.index });
  }
  const reported = new Set<string>();
  for (const { number, index } of numbers) {
    if (repository.sections.has(number) || reported.has(`${number}@${where(index)}`)) continue;
    reported.add(`${number}@${where(index)}`);
    problems.push(`${where(index)}: cites ${ARCHITECTURE_DOC} §${number}, which has no such heading`);
  }
  return problems;
}

describe('citations in comments and documents', () => {
  const allFiles = listRepositoryFiles();
  const repository: Repository = {
    files: new Set(allFiles),
    sections: existsSync(path.join(ROOT, ARCHITECTURE_DOC)) ? headingSections(readFileSync(path.join(ROOT, ARCHITECTURE_DOC), 'utf8')) : new Set(),
  };
  const checked = allFiles.filter((file) => CHECKED.test(file) && READABLE.test(file));
  const comments = checked.flatMap((file) => citingText(file, readFileSync(path.join(ROOT, file), 'utf8')));

  it('should read the sources, tests, scripts and documents, docs/architecture.md among them', () => {
    // Arrange: the lists above. Act: nothing more. Assert: the scan covers what it claims to.
    expect(checked).toEqual(expect.arrayContaining([ARCHITECTURE_DOC, 'docs/queue.md', 'README.md', 'serverless.yml', 'lib/consumer/settle.ts', 'functions/consume-pending.ts']));
    expect(repository.sections.size).toBeGreaterThan(0);
    expect(comments.length).toBeGreaterThan(checked.length);
  });

  it('should find no citation of the research notes, a missing file or a missing section', () => {
    // Arrange: every comment of every checked file.
    // Act
    const problems = comments.flatMap((comment) => citationProblems(comment, repository));
    // Assert
    expect(problems).toEqual([]);
  });

  it('should flag each kind of broken citation in a comment', () => {
    // Arrange
    const files = new Set(['lib/tracking/merge.ts', 'lib/tracking/batch-writer.ts', 'docs/queue.md', ARCHITECTURE_DOC]);
    const sample = { files, sections: new Set(['1', '4']) };
    const text = [
      '/**',
      ' * Rules (ARCHITECTURE §4); see summary-writer.ts and docs/missing.md.',
      ' * Also docs/architecture.md §4 and §9, and lib/tracking/gone.ts.',
      ' */',
      'const x = 1; // fine: batch-writer.ts, docs/queue.md, docs/architecture.md §1, lua/<verb>-<n>.lua',
    ].join('\n');
    // Act
    const problems = citingText('lib/tracking/merge.ts', text).flatMap((comment) => citationProblems(comment, sample));
    // Assert
    expect(problems).toEqual([
      'lib/tracking/merge.ts:2: cites the research notes outside the repository; cite docs/ instead',
      'lib/tracking/merge.ts:2: cites summary-writer.ts, which is not in the repository',
      'lib/tracking/merge.ts:2: cites docs/missing.md, which is not in the repository',
      'lib/tracking/merge.ts:3: cites lib/tracking/gone.ts, which is not in the repository',
      'lib/tracking/merge.ts:3: cites docs/architecture.md §9, which has no such heading',
    ]);
  });

  it('should read comments only, not strings, in code', () => {
    // Arrange
    const text = "const notes = 'ARCHITECTURE'; const file = 'docs/missing.md'; const re = /\\/\\*/; // docs/queue.md\n";
    // Act
    const comments = citingText('lib/sample.ts', text);
    // Assert
    expect(comments.map((comment) => comment.text)).toEqual(['// docs/queue.md']);
  });

  it('should resolve a short name next to the citing file or as the tail of a tracked path', () => {
    // Arrange
    const files = new Set(['lib/consumer/settle.ts', 'lib/queue/redis/lua/includes/front.lua', 'docs/queue.md']);
    // Act
    const results = [
      resolvesToFile('settle.ts', 'lib/consumer/run-consumer.ts', files),
      resolvesToFile('lua/includes/front.lua', 'docs/queue.md', files),
      resolvesToFile('../lib/consumer/settle.ts', 'docs/queue.md', files),
      resolvesToFile('docs/settle.ts', 'lib/consumer/run-consumer.ts', files),
      resolvesToFile('summary-writer.ts', 'lib/tracking/merge.ts', files),
    ];
    // Assert
    expect(results).toEqual([true, true, true, false, false]);
  });
});

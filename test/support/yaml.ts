/**
 * A YAML parser for tests that check configuration files: js-yaml, the version osls (the
 * Serverless CLI) parses our YAML with, pinned as a dev dependency.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jsYaml = require('js-yaml') as { load(text: string): unknown };

/** Parses one YAML document; throws on a syntax error. */
export function parseYaml(text: string): unknown {
  return jsYaml.load(text);
}

/**
 * A YAML parser for tests that check configuration files. js-yaml is not a dependency of this
 * project; it is installed as a dependency of osls (the Serverless CLI), which parses our YAML
 * with it, so the tests read it with the same library.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jsYaml = require('js-yaml') as { load(text: string): unknown };

/** Parses one YAML document; throws on a syntax error. */
export function parseYaml(text: string): unknown {
  return jsYaml.load(text);
}

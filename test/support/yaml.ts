/**
 * A YAML parser for tests that check configuration files: js-yaml, the version osls (the
 * Serverless CLI) parses our YAML with, pinned as a dev dependency. CloudFormation's short
 * forms (`!Ref X`, `!GetAtt A.B`, `!Sub`, …) parse to their long forms, as osls reads them.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jsYaml = require('js-yaml') as {
  load(text: string, options?: { schema: unknown }): unknown;
  Type: new (tag: string, options: { kind: 'scalar' | 'sequence' | 'mapping'; construct(data: unknown): unknown }) => unknown;
  DEFAULT_SCHEMA: { extend(types: unknown[]): unknown };
};

const INTRINSICS = ['Ref', 'GetAtt', 'Sub', 'Join', 'Split', 'Select', 'If', 'Equals', 'Not', 'And', 'Or', 'FindInMap', 'ImportValue', 'GetAZs', 'Base64', 'Cidr'];

const CLOUDFORMATION_SCHEMA = jsYaml.DEFAULT_SCHEMA.extend(
  INTRINSICS.flatMap((name) => {
    const key = name === 'Ref' ? 'Ref' : `Fn::${name}`;
    return (['scalar', 'sequence', 'mapping'] as const).map(
      (kind) =>
        new jsYaml.Type(`!${name}`, {
          kind,
          construct: (data) => ({ [key]: name === 'GetAtt' && typeof data === 'string' ? data.split('.') : data }),
        }),
    );
  }),
);

/** Parses one YAML document; throws on a syntax error. */
export function parseYaml(text: string): unknown {
  return jsYaml.load(text, { schema: CLOUDFORMATION_SCHEMA });
}

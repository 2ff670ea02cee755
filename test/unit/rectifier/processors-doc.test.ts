import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ADYEN_RESULT_CODES } from '../../../lib/rectifier/adyen-adapter';
import { WORLDLINE_STATUS_CODES, WORLDLINE_STATUSES } from '../../../lib/rectifier/worldline-adapter';

const doc = readFileSync(path.resolve(__dirname, '../../../docs/processors.md'), 'utf8');

describe('docs/processors.md', () => {
  it.each(WORLDLINE_STATUS_CODES.map(([low, high, action]) => [low === high ? String(low) : `${low}–${high}`, action]))(
    'should list the Worldline status code %s as %s',
    (codes, action) => {
      expect(doc).toMatch(new RegExp(`\\| ${codes} \\| [^|]+ \\| \`${action}\``));
    },
  );

  it('should list every Worldline status string and Adyen result code the adapters map', () => {
    for (const [status, action] of Object.entries(WORLDLINE_STATUSES)) expect(doc).toContain(`| \`${status}\` | \`${action}\` |`);
    for (const code of Object.keys(ADYEN_RESULT_CODES)) expect(doc).toContain(`| \`${code}\` |`);
  });
});

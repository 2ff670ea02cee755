/**
 * The iconv-lite stand-in of the function bundles: mysql2 calls it for charsets Buffer does not
 * name itself; utf8mb3 (`cesu8` to mysql2) must decode, the rest must fail loudly.
 */
import { encodingExists, getDecoder, getEncoder, UnsupportedCharsetError } from '../../../lib/build/iconv-lite-node-encodings';

describe('iconv-lite stand-in', () => {
  it('should decode and encode utf8mb3 (cesu8) text of the Basic Multilingual Plane as UTF-8', () => {
    const text = 'Zürich – 東京';
    const decoder = getDecoder('cesu8');

    const decoded = decoder.write(Buffer.from(text, 'utf8')) + decoder.end();

    expect(decoded).toBe(text);
    expect(getEncoder('cesu8').write(text)).toEqual(Buffer.from(text, 'utf8'));
    expect(encodingExists('cesu8')).toBe(true);
  });

  it('should refuse a charset Buffer cannot decode, naming it', () => {
    expect(() => getDecoder('sjis')).toThrow(UnsupportedCharsetError);
    expect(() => getEncoder('big5')).toThrow(/character set big5 is not supported/);
    expect(encodingExists('gbk')).toBe(false);
  });
});

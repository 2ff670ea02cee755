import { truncateBytes, truncateChars } from '../../lib/truncate';

describe('truncateChars', () => {
  it('should count code points as MariaDB does, not UTF-16 units', () => {
    const value = '😀😀😀'; // six UTF-16 units, three characters

    const kept = truncateChars(value, 3);
    const cut = truncateChars(value, 2);

    expect(kept).toBe(value);
    expect(cut).toBe('😀😀');
  });

  it('should never leave half of a surrogate pair', () => {
    const value = 'ab😀cd';

    const cut = truncateChars(value, 3);

    expect(cut).toBe('ab😀');
    expect(cut).not.toMatch(/[\uD800-\uDBFF]$/);
  });

  it('should return the very same string when it fits', () => {
    const value = 'Zoë';

    const result = truncateChars(value, 10);

    expect(result).toBe(value);
  });
});

describe('truncateBytes', () => {
  it('should cut to whole UTF-8 sequences within the byte limit', () => {
    const value = 'ééé'; // two bytes each

    const cut = truncateBytes(value, 5);

    expect(cut).toBe('éé');
    expect(Buffer.byteLength(cut, 'utf8')).toBe(4);
  });

  it('should not split a four-byte character', () => {
    const value = 'a😀b';

    const cut = truncateBytes(value, 4);

    expect(cut).toBe('a');
  });

  it('should return the value unchanged, without marker, when it fits', () => {
    const value = 'abc';

    const result = truncateBytes(value, 3, '…[truncated]');

    expect(result).toBe('abc');
  });

  it('should append the marker within the same byte budget when it cuts', () => {
    const value = 'x'.repeat(100);
    const marker = '…[truncated]'; // 14 bytes

    const cut = truncateBytes(value, 40, marker);

    expect(cut).toBe(`${'x'.repeat(26)}${marker}`);
    expect(Buffer.byteLength(cut, 'utf8')).toBe(40);
  });
});

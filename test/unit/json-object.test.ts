import { isJsonObject, parseJsonObject } from '../../lib/json-object';

describe('parseJsonObject', () => {
  it('should return the decoded object of a JSON object text', () => {
    const text = '{"order_id":"42","amount":{"value":5}}';

    const result = parseJsonObject(text);

    expect(result).toEqual({ ok: true, value: { order_id: '42', amount: { value: 5 } } });
  });

  it('should decode a Buffer as UTF-8', () => {
    const buffer = Buffer.from('{"first_name":"Zoë 😀"}', 'utf8');

    const result = parseJsonObject(buffer);

    expect(result).toEqual({ ok: true, value: { first_name: 'Zoë 😀' } });
  });

  it('should say the text is not JSON without quoting any of it', () => {
    const text = '{"email":"donor@example.org", "iban": DE89370400440532013000';

    const result = parseJsonObject(text);

    expect(result).toEqual({ ok: false, problem: 'not-json', reason: 'not valid JSON' });
    expect(JSON.stringify(result)).not.toContain('donor@example.org');
    expect(JSON.stringify(result)).not.toContain('DE89');
  });

  it.each([
    ['[1,2]', 'array'],
    ['null', 'null'],
    ['"{\\"a\\":1}"', 'string'],
    ['12', 'number'],
    ['true', 'boolean'],
  ])('should name what %s is when it is JSON but not an object', (text, found) => {
    const result = parseJsonObject(text);

    expect(result).toEqual({ ok: false, problem: 'not-an-object', found, reason: `JSON ${found}, not an object` });
  });

  it('should treat an empty text as not JSON', () => {
    const result = parseJsonObject('');

    expect(result).toMatchObject({ ok: false, problem: 'not-json' });
  });
});

describe('isJsonObject', () => {
  it('should accept plain objects only', () => {
    const values: unknown[] = [{}, { a: 1 }, [], null, 'text', 3, undefined];

    const accepted = values.map(isJsonObject);

    expect(accepted).toEqual([true, true, false, false, false, false, false]);
  });
});

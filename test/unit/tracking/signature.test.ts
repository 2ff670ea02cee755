import { signBody, verifySignature } from '../../../lib/tracking/signature';

describe('verifySignature', () => {
  const secret = 'test-secret';
  const body = Buffer.from('{"id":"1","ts":"20241127130000"}');

  it('should accept the signature of exactly these bytes', () => {
    expect(verifySignature(secret, body, signBody(secret, body))).toBe(true);
  });

  it('should reject a tampered body, another secret, a missing or malformed header', () => {
    const signature = signBody(secret, body);

    expect(verifySignature(secret, Buffer.from('{"id":"2","ts":"20241127130000"}'), signature)).toBe(false);
    expect(verifySignature('other', body, signature)).toBe(false);
    expect(verifySignature(secret, body, undefined)).toBe(false);
    expect(verifySignature(secret, body, signature.slice(0, -2))).toBe(false);
    expect(verifySignature(secret, body, signature.replace('sha256=', ''))).toBe(false);
  });
});

import { signBodyLegacy, signRequest, verifyRequest, type SignedParts } from '../../lib/signing';

describe('verifyRequest', () => {
  const keys = { current: 'current-secret', previous: 'previous-secret' };
  const parts: SignedParts = { method: 'POST', path: '/pending/complete', body: '{"gateway":"g","order_id":"1.1"}' };
  const now = new Date('2026-12-02T04:00:00Z');
  const t = Math.floor(now.getTime() / 1000);
  const options = { toleranceSeconds: 300, now };

  it('should accept a signature of exactly this request made with the current or the previous secret', () => {
    expect(verifyRequest(keys, parts, signRequest(keys.current, parts, t), options)).toEqual({ ok: true, scheme: 'v1', key: 'current' });
    expect(verifyRequest(keys, parts, signRequest(keys.previous, parts, t - 300), options)).toEqual({ ok: true, scheme: 'v1', key: 'previous' });
  });

  it('should refuse a timestamp outside the tolerance either way, even when the signature is right', () => {
    expect(verifyRequest(keys, parts, signRequest(keys.current, parts, t - 301), options)).toEqual({ ok: false, problem: 'outside-tolerance' });
    expect(verifyRequest(keys, parts, signRequest(keys.current, parts, t + 301), options)).toEqual({ ok: false, problem: 'outside-tolerance' });
  });

  it('should refuse another body, method, path or secret, and a timestamp changed after signing', () => {
    const signature = signRequest(keys.current, parts, t);
    const changedTime = signature.replace(`t=${t}`, `t=${t - 1}`);

    expect(verifyRequest(keys, { ...parts, body: '{"gateway":"g","order_id":"2.1"}' }, signature, options)).toEqual({ ok: false, problem: 'mismatch' });
    expect(verifyRequest(keys, { ...parts, method: 'GET' }, signature, options)).toEqual({ ok: false, problem: 'mismatch' });
    expect(verifyRequest(keys, { ...parts, path: '/pending/g/2.1' }, signature, options)).toEqual({ ok: false, problem: 'mismatch' });
    expect(verifyRequest({ current: 'other' }, parts, signature, options)).toEqual({ ok: false, problem: 'mismatch' });
    expect(verifyRequest(keys, parts, changedTime, options)).toEqual({ ok: false, problem: 'mismatch' });
  });

  it('should refuse a missing or malformed header', () => {
    expect(verifyRequest(keys, parts, undefined, options)).toEqual({ ok: false, problem: 'missing' });
    expect(verifyRequest(keys, parts, `t=${t},v1=abc`, options)).toEqual({ ok: false, problem: 'malformed' });
  });

  it('should accept the legacy body signature only before the end of its transition', () => {
    const legacy = signBodyLegacy(keys.current, parts.body);

    expect(verifyRequest(keys, parts, legacy, { ...options, legacyUntil: new Date(now.getTime() + 1000) })).toEqual({ ok: true, scheme: 'legacy', key: 'current' });
    expect(verifyRequest(keys, parts, legacy, { ...options, legacyUntil: now })).toEqual({ ok: false, problem: 'legacy-refused' });
    expect(verifyRequest(keys, parts, legacy, options)).toEqual({ ok: false, problem: 'legacy-refused' });
  });
});

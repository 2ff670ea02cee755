import { hostedPaymentStatus } from '../../../lib/rectifier/hosted-payment-adapter';
import { ProcessorResponseError } from '../../../lib/rectifier/processor-adapter';

describe('hostedPaymentStatus', () => {
  it.each([
    [0, 'failed'], [25, 'failed'], [70, 'failed'],
    [100, 'failed'], [180, 'failed'],
    [200, 'needs-finishing'],
    [220, 'failed'], [280, 'failed'],
    [400, 'revised'],
    [600, 'needs-approval'],
    [800, 'complete'], [975, 'complete'], [1000, 'complete'], [1050, 'complete'],
    [1100, 'failed'], [1520, 'failed'],
    [1800, 'refunded'],
    [99999, 'cancelled'],
  ])('should map %i to %s in orphan mode', (code, status) => {
    expect(hostedPaymentStatus(code, { orphan: true })).toBe(status);
  });

  it('should keep 0–70 pending outside orphan mode', () => {
    expect(hostedPaymentStatus(25, { orphan: false })).toBe('pending');
  });

  it.each([71, 99, 190, 300, 700, 990, 1600, 2000])('should reject the unknown code %i', (code) => {
    expect(() => hostedPaymentStatus(code, { orphan: true })).toThrow(ProcessorResponseError);
  });
});

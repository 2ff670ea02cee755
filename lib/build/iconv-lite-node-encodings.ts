/**
 * Stands in for `iconv-lite` in the function bundles (serverless.yml, custom.esbuild.alias).
 *
 * mysql2 asks iconv-lite only for encodings that Node's Buffer lacks (it decodes utf8, latin1,
 * ascii itself). Our tables are utf8mb4; MariaDB's own metadata (information_schema, some
 * result columns) is utf8mb3, which mysql2 calls `cesu8`: for the characters utf8mb3 can hold
 * (the Basic Multilingual Plane) CESU-8 and UTF-8 are the same bytes, so Buffer decodes it.
 * iconv-lite's other tables are ~480 KB, a sixth of what every cold start compiles, for charsets
 * we do not use; a column in one of those fails loudly here instead of decoding wrongly.
 */
import { PermanentError } from '../errors';

/** A column or statement in a charset the bundle does not carry. */
export class UnsupportedCharsetError extends PermanentError {}

/** iconv-lite names mysql2 may ask for that Buffer handles, with Buffer's name. */
const NODE_ENCODINGS: Record<string, BufferEncoding> = { cesu8: 'utf8', 'utf16-le': 'utf16le' };

function nodeEncoding(encoding: string): BufferEncoding {
  const name = NODE_ENCODINGS[encoding.toLowerCase()] ?? encoding;
  if (Buffer.isEncoding(name)) return name;
  throw new UnsupportedCharsetError(
    `character set ${encoding} is not supported by the function bundle (iconv-lite is left out); use utf8mb4 on the connection and tables`,
  );
}

/** iconv-lite's decoder interface, for the encodings Buffer knows. */
export function getDecoder(encoding: string): { write(buffer: Buffer): string; end(): string } {
  const name = nodeEncoding(encoding);
  return { write: (buffer) => buffer.toString(name), end: () => '' };
}

/** iconv-lite's encoder interface, for the encodings Buffer knows. */
export function getEncoder(encoding: string): { write(text: string): Buffer; end(): Buffer | undefined } {
  const name = nodeEncoding(encoding);
  return { write: (text) => Buffer.from(text, name), end: () => undefined };
}

/** iconv-lite's encodingExists: what this stand-in can decode. */
export function encodingExists(encoding: string): boolean {
  try {
    nodeEncoding(encoding);
    return true;
  } catch {
    return false;
  }
}

// Module hooks for the fauxqs launcher (registered by fauxqs-server.mjs).
// 1. fauxqs imports `node:sqlite` (Node >= 22.5) for its optional on-disk persistence, which we
//    never enable: on a Node without that module it resolves to a stub.
// 2. fauxqs 2.4.1 tests message bodies with a regular expression without the `u` flag, so it
//    refuses every character outside the Basic Multilingual Plane (emoji, some CJK), which SQS
//    accepts (#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF). The pattern is
//    corrected to SQS's documented one; if it is not found, fauxqs is left as it is.
const SQLITE_STUB =
  'export class DatabaseSync { constructor() { throw new Error("node:sqlite is not available on this Node version"); } }';
const BODY_PATTERN = '/[^\\x09\\x0A\\x0D\\x20-\\uD7FF\\uE000-\\uFFFD]/;';
const SQS_BODY_PATTERN = '/[^\\x09\\x0A\\x0D\\x20-\\uD7FF\\uE000-\\uFFFD\\u{10000}-\\u{10FFFF}]/u;';

export async function resolve(specifier, context, next) {
  if (specifier === 'node:sqlite' && !process.getBuiltinModule?.('node:sqlite')) {
    return { url: `data:text/javascript,${encodeURIComponent(SQLITE_STUB)}`, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  const result = await next(url, context);
  if (url.endsWith('/fauxqs/dist/sqs/sqsTypes.js')) {
    const source = String(result.source);
    if (source.includes(BODY_PATTERN)) return { ...result, source: source.replace(BODY_PATTERN, SQS_BODY_PATTERN), shortCircuit: true };
  }
  return result;
}

/**
 * Who is asking, and whether a mutating request really comes from the console's own page.
 *
 * - Mode `token` (locally): the operator signs in with CONSOLE_TOKEN and a name; the session is a
 *   signed cookie (HttpOnly, SameSite=Strict) holding a random nonce, the time of sign-in and the
 *   name, never the token. `Authorization: Bearer <CONSOLE_TOKEN>` works too (scripts).
 * - Mode `jwt` (deployed stages): the HTTP API's JWT authorizer has verified the caller before
 *   the function runs; the name is the token's `email` or `sub` claim.
 *
 * CSRF: a synchronizer token, the HMAC of the session's nonce (or of the JWT's subject and issue
 * time) under CONSOLE_TOKEN, goes into every form and must come back with every POST. A shared
 * token cannot tell people apart: locally the audit's "who" is the name given at sign-in.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Actor } from '../audit';
import { CsrfTokenError, NotSignedInError } from '../errors';

export interface WebAuthOptions {
  mode: 'token' | 'jwt';
  /** CONSOLE_TOKEN: the sign-in token and the signing key. */
  secret: string;
  sessionHours: number;
}

export interface Identity {
  actor: Actor;
  /** The CSRF token forms of this identity carry. */
  csrf: string;
  /** How the identity was established (a bearer request has no sign-out). */
  kind: 'session' | 'bearer' | 'jwt';
}

/** The session cookie's name; the cookie is scoped to the console's path. */
export const SESSION_COOKIE = 'console_session';
/** The sign-in form's own double-submit cookie (there is no session yet to derive a token from). */
export const LOGIN_COOKIE = 'console_login';

const NAME_CHARS = 100;

function sign(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('base64url');
}

/** Compares without leaking where two strings differ. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A fresh session cookie value for `name`. */
export function issueSession(options: WebAuthOptions, name: string, now: Date = new Date()): string {
  const payload = `${randomBytes(16).toString('base64url')}.${Math.floor(now.getTime() / 1000)}.${Buffer.from(name.slice(0, NAME_CHARS)).toString('base64url')}`;
  return `${payload}.${sign(options.secret, `session|${payload}`)}`;
}

/** The session a cookie value stands for, or null when it is forged, malformed or expired. */
export function readSession(options: WebAuthOptions, value: string | undefined, now: Date = new Date()): { nonce: string; name: string } | null {
  if (!value) return null;
  const parts = value.split('.');
  if (parts.length !== 4) return null;
  const [nonce, issued, name, signature] = parts as [string, string, string, string];
  if (!sameSecret(signature, sign(options.secret, `session|${nonce}.${issued}.${name}`))) return null;
  const age = now.getTime() / 1000 - Number(issued);
  if (!Number.isFinite(age) || age < 0 || age > options.sessionHours * 3600) return null;
  return { nonce, name: Buffer.from(name, 'base64url').toString('utf8') };
}

/** The CSRF token of a session key. */
export function csrfFor(options: WebAuthOptions, key: string): string {
  return sign(options.secret, `csrf|${key}`);
}

/** A random value for the sign-in form's double-submit cookie. */
export function loginNonce(): string {
  return randomBytes(16).toString('base64url');
}

export interface RequestCredentials {
  authorization?: string;
  sessionCookie?: string;
  /** The verified JWT's claims, as API Gateway passes them (mode `jwt`). */
  jwtClaims?: Record<string, unknown>;
}

/** The caller, or NotSignedInError. */
export function identify(options: WebAuthOptions, credentials: RequestCredentials, now: Date = new Date()): Identity {
  if (options.mode === 'jwt') {
    const claims = credentials.jwtClaims;
    const subject = typeof claims?.sub === 'string' ? claims.sub : undefined;
    if (!claims || !subject) throw new NotSignedInError('no verified JWT identity reached the console');
    const name = typeof claims.email === 'string' ? claims.email : subject;
    return { actor: { name, via: 'web' }, csrf: csrfFor(options, `jwt|${subject}|${String(claims.iat ?? '')}`), kind: 'jwt' };
  }
  const bearer = /^Bearer\s+(.+)$/i.exec(credentials.authorization ?? '')?.[1];
  if (bearer !== undefined) {
    if (!sameSecret(bearer, options.secret)) throw new NotSignedInError('the bearer token is not the console token');
    return { actor: { name: 'bearer-token', via: 'web' }, csrf: csrfFor(options, 'bearer'), kind: 'bearer' };
  }
  const session = readSession(options, credentials.sessionCookie, now);
  if (!session) throw new NotSignedInError('sign in first');
  return { actor: { name: session.name, via: 'web' }, csrf: csrfFor(options, `session|${session.nonce}`), kind: 'session' };
}

/** Refuses a mutating request whose CSRF token is not its identity's. */
export function checkCsrf(identity: Identity, given: string | undefined): void {
  if (!given || !sameSecret(given, identity.csrf)) throw new CsrfTokenError('missing or wrong CSRF token: reload the page and try again');
}

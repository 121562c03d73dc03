/**
 * @module auth/http
 * Small HTTP helpers of the authorization server: cookies, form bodies, security headers of its pages.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export function readCookies(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const header = request.headers.cookie;
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      // A cookie we did not set (or a mangled one) is ignored.
    }
  }
  return out;
}

export interface CookieOptions {
  maxAgeSeconds?: number;
  secure: boolean;
  path?: string;
}

export function setCookie(reply: FastifyReply, name: string, value: string, o: CookieOptions): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${o.path ?? '/auth'}`, 'HttpOnly', 'SameSite=Lax'];
  if (o.secure) parts.push('Secure');
  if (o.maxAgeSeconds !== undefined) parts.push(`Max-Age=${o.maxAgeSeconds}`);
  const prior = reply.getHeader('set-cookie');
  const list = Array.isArray(prior) ? prior : prior ? [String(prior)] : [];
  reply.header('set-cookie', [...list, parts.join('; ')]);
}

/** A form body (application/x-www-form-urlencoded) as URLSearchParams; anything else is empty. */
export function formBody(request: FastifyRequest): URLSearchParams {
  return typeof request.body === 'string' ? new URLSearchParams(request.body) : new URLSearchParams();
}

/** Headers every page of the authorization server carries: no framing, no caching, no referrer. */
export function pageHeaders(reply: FastifyReply, nonce: string): FastifyReply {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' data:; form-action 'self' https: http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'; base-uri 'none'`,
    );
}

/** Query and form parameters of a request as a record; a repeated name becomes an array. */
export function paramRecord(search: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of search) {
    const prior = out[k];
    out[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  return out;
}

export function queryOf(request: FastifyRequest): URLSearchParams {
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/**
 * Lets a plugin's routes read only form bodies, as text (`formBody` parses them); `extraTypes` are read as
 * text too, and any other body is dropped, so a handler never sees a parsed object it did not ask for.
 */
export function acceptFormBodies(scope: FastifyInstance, options: { bodyLimit?: number; extraTypes?: string[] } = {}): void {
  const limit = options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit };
  scope.removeAllContentTypeParsers();
  for (const type of ['application/x-www-form-urlencoded', ...(options.extraTypes ?? [])]) {
    scope.addContentTypeParser(type, { parseAs: 'string', ...limit }, (_req, body, done) => done(null, body));
  }
  scope.addContentTypeParser('*', { parseAs: 'string', ...limit }, (_req, _body, done) => done(null, undefined));
}

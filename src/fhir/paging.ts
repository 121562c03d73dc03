/**
 * @module fhir/paging
 * Keyset paging cursors. A cursor names the last (or first) row's sort values and `seq`, and is bound by
 * an HMAC to the search it belongs to: an edited cursor or one moved to another search is refused.
 * Keyset positions stay correct while data changes: a new row never shifts a page already returned.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Cursor } from '../store/types.js';
import { fhirError } from './errors.js';

export class PagingCursors {
  constructor(private readonly secret: Buffer) {}

  #mac(payload: string, searchKey: string): Buffer {
    return createHmac('sha256', this.secret).update(searchKey).update('\u0000').update(payload).digest().subarray(0, 16);
  }

  /** An opaque, URL-safe token for `cursor` within the search identified by `searchKey`. */
  encode(cursor: Cursor, searchKey: string): string {
    const payload = Buffer.from(JSON.stringify([cursor.direction === 'next' ? 1 : 0, cursor.seq, cursor.values])).toString('base64url');
    return `${payload}.${this.#mac(payload, searchKey).toString('base64url')}`;
  }

  /** @throws FhirError 400 when the token was not made by this server for this search. */
  decode(token: string, searchKey: string, sortLength: number): Cursor {
    const bad = () => fhirError('FHIR_ERR_INVALID_CURSOR', 'The paging link is invalid or does not belong to this search; start the search again', { expression: ['_cursor'] });
    const [payload, mac] = token.split('.');
    if (!payload || !mac || token.length > 2048) throw bad();
    const expected = this.#mac(payload, searchKey);
    const given = Buffer.from(mac, 'base64url');
    // Re-encoding rejects other spellings of the same bytes (the last base64 character has spare bits).
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || given.toString('base64url') !== mac) throw bad();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw bad();
    }
    if (
      !Array.isArray(parsed) ||
      parsed.length !== 3 ||
      (parsed[0] !== 0 && parsed[0] !== 1) ||
      !Number.isSafeInteger(parsed[1]) ||
      !Array.isArray(parsed[2]) ||
      parsed[2].length !== sortLength ||
      !parsed[2].every((v: unknown) => v === null || typeof v === 'number')
    ) {
      throw bad();
    }
    return { direction: parsed[0] === 1 ? 'next' : 'prev', seq: parsed[1], values: parsed[2] };
  }
}

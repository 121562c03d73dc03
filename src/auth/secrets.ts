/**
 * @module auth/secrets
 * Random secrets and their stored hashes: client secrets (`hashSecret` / `verifySecret`) and the
 * opaque values kept only as hashes — authorization codes, refresh tokens, browser session ids
 * (`hashToken`).
 *
 * Why a fast hash (SHA-256) and not a password hash (scrypt, argon2)? A password hash is slow on
 * purpose, to make guessing low-entropy, human-chosen passwords from a leaked hash expensive. Client
 * secrets are not chosen by people: `generateSecret` draws 256 bits from the CSPRNG, so a leaked hash
 * cannot be reversed by guessing however fast the hash is, and a slow hash would only hand anyone who
 * can reach the token endpoint a cheap way to burn our CPU. The same reasoning holds for codes, refresh
 * tokens and session ids, which are looked up by their hash.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256:';
const DIGEST_BYTES = 32;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** A new random secret: `bytes` bytes from the CSPRNG, base64url-encoded (32 bytes → 43 characters). */
export function generateSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16) throw new RangeError('a secret needs at least 16 random bytes');
  return randomBytes(bytes).toString('base64url');
}

/** The stored form of a client secret: `sha256:` followed by the base64url SHA-256 digest. */
export function hashSecret(secret: string): string {
  return PREFIX + sha256(secret).toString('base64url');
}

/** Decodes a stored hash to its digest, or undefined when it is not a well-formed `sha256:` hash. */
function storedDigest(hash: string): Buffer | undefined {
  if (typeof hash !== 'string' || !hash.startsWith(PREFIX)) return undefined;
  const encoded = hash.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]{43}$/.test(encoded)) return undefined;
  const digest = Buffer.from(encoded, 'base64url');
  return digest.length === DIGEST_BYTES ? digest : undefined;
}

/**
 * Whether `secret` matches the stored `hash`, in constant time. The secret is hashed first, so what is
 * compared is always two 32-byte digests: the time taken depends neither on the secret's length nor on
 * how many leading bytes match. A malformed stored hash is compared against a zero digest (the same
 * work) and never matches.
 */
export function verifySecret(secret: string, hash: string): boolean {
  const actual = sha256(typeof secret === 'string' ? secret : '');
  const expected = storedDigest(hash);
  const equal = timingSafeEqual(actual, expected ?? Buffer.alloc(DIGEST_BYTES));
  return equal && expected !== undefined;
}

/** The stored form of an opaque token (code, refresh token, session id): base64url SHA-256. */
export function hashToken(token: string): string {
  return sha256(token).toString('base64url');
}

/**
 * @module auth/keys
 * The signing keys: RS256 key pairs kept in the store so every server process signs and verifies with
 * the same ones. The newest key signs; retired keys keep verifying until the tokens they signed expire.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { AuthStore, SigningKeyRecord } from '../store/auth.js';

export const SIGNING_ALG = 'RS256';

type Key = CryptoKey | Uint8Array;

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  privateKey?: Key;
  publicKey: Key;
  retiredAt: number | null;
}

async function newKeyRecord(now: number): Promise<SigningKeyRecord> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    alg: SIGNING_ALG,
    publicJwk: JSON.stringify({ ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' }),
    privateJwk: JSON.stringify({ ...privateJwk, kid, alg: SIGNING_ALG }),
    createdAt: now,
  retiredAt: null,
  };
}

export class KeyRing {
  #keys: LoadedKey[] = [];
  #loadedAt = 0;

  /**
   * @param retireAfterMs how long a retired key keeps verifying: at least the longest token lifetime.
   */
  constructor(
    private readonly store: AuthStore,
    private readonly retireAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads the keys, creating the first one on a fresh store. */
  async init(): Promise<void> {
    await this.#load();
    if (!this.#keys.some((k) => k.retiredAt === null)) {
      await this.store.addFirstKey(await newKeyRecord(this.now()));
      await this.#load();
    }
  }

  async #load(): Promise<void> {
    const records = await this.store.listKeys();
    const horizon = this.now() - this.retireAfterMs;
    const keys: LoadedKey[] = [];
    for (const r of records) {
      if (r.retiredAt !== null && r.retiredAt < horizon) continue;
      const publicJwk = JSON.parse(r.publicJwk) as JWK;
      keys.push({
        kid: r.kid,
        publicJwk,
        publicKey: await importJWK(publicJwk, r.alg),
        privateKey: r.retiredAt === null ? await importJWK(JSON.parse(r.privateJwk) as JWK, r.alg) : undefined,
        retiredAt: r.retiredAt,
      });
    }
    this.#keys = keys;
    this.#loadedAt = this.now();
  }

  /** The key that signs now. Reloads at most every few seconds so a rotation elsewhere is picked up. */
  async signingKey(): Promise<{ kid: string; key: Key }> {
    if (this.now() - this.#loadedAt > 5000) await this.#load();
    const active = this.#keys.find((k) => k.retiredAt === null && k.privateKey);
    if (!active) {
      await this.init();
      return this.signingKey();
    }
    return { kid: active.kid, key: active.privateKey! };
  }

  /** The public key for `kid`, or undefined; an unknown kid triggers one reload (a key made elsewhere). */
  async verificationKey(kid: string): Promise<Key | undefined> {
    let key = this.#keys.find((k) => k.kid === kid);
    if (!key && this.now() - this.#loadedAt > 1000) {
      await this.#load();
      key = this.#keys.find((k) => k.kid === kid);
    }
    return key?.publicKey;
  }

  /** The JSON Web Key Set of every key that may still verify a token. */
  async jwks(): Promise<{ keys: JWK[] }> {
    if (this.now() - this.#loadedAt > 5000) await this.#load();
    return { keys: this.#keys.map((k) => k.publicJwk) };
  }

  /** Makes a new signing key; the old one is retired and keeps verifying for `retireAfterMs`. */
  async rotate(): Promise<{ kid: string; retired: string[] }> {
    const before = (await this.store.listKeys()).filter((k) => k.retiredAt === null).map((k) => k.kid);
    const record = await newKeyRecord(this.now());
    await this.store.addKey(record);
    await this.store.pruneKeys(this.now() - this.retireAfterMs);
    await this.#load();
    return { kid: record.kid, retired: before };
  }
}

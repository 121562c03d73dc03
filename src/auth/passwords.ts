/**
 * @module auth/passwords
 * Password hashing with argon2id at OWASP's recommended minimum (19 MiB, 2 iterations, 1 lane), and the
 * sign-in throttle: after a few failures each attempt waits longer, then the account locks for a while
 * (Keycloak's brute-force detection works the same way).
 */
import { hash, verify } from '@node-rs/argon2';

const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (!stored) {
    // Hash anyway so an account without a password answers as slowly as one with a wrong password.
    await hash(password, OPTIONS);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A hash of a random password, verified against when the username is unknown, so timing tells nothing. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(`decoy-${Math.random()}-${Date.now()}`);
  return decoy;
}

export interface LockoutPolicy {
  /** Failures allowed before any wait. */
  freeFailures: number;
  /** Wait after the first counted failure, doubled per further failure. */
  baseWaitMs: number;
  maxWaitMs: number;
  /** Failures at which the account locks for `lockMs`. */
  lockAfter: number;
  lockMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = {
  freeFailures: 3,
  baseWaitMs: 1000,
  maxWaitMs: 60_000,
  lockAfter: 10,
  lockMs: 15 * 60_000,
};

/** How long an account must wait after its `failures`-th consecutive failure. */
export function lockoutWait(failures: number, policy: LockoutPolicy = DEFAULT_LOCKOUT): number {
  if (failures >= policy.lockAfter) return policy.lockMs;
  if (failures <= policy.freeFailures) return 0;
  return Math.min(policy.maxWaitMs, policy.baseWaitMs * 2 ** (failures - policy.freeFailures - 1));
}

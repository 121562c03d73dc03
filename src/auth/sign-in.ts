/**
 * @module auth/sign-in
 * The one password check of every sign-in form (the authorization screens and the patient's /account
 * page): the same work and the same answer whether or not the username exists, is waiting or is locked;
 * failures counted towards the lockout; success clears them.
 */
import type { AccountRecord, AuthStore } from '../store/auth.js';
import { decoyHash, lockoutWait, verifyPassword } from './passwords.js';

export type SignInResult =
  | { ok: true; account: AccountRecord }
  | {
      ok: false;
      /** The account, only when the name is one (never echo a mistyped password back into logs). */
      account?: AccountRecord;
      /** Consecutive failures after this one (0 when the account was already blocked or unknown). */
      failures: number;
      /** The account must now wait or is locked. */
      locked: boolean;
    };

export async function checkSignIn(authStore: AuthStore, rawUsername: string, password: string, now: number): Promise<SignInResult> {
  const username = rawUsername.trim().toLowerCase().slice(0, 200);
  const account = username ? await authStore.getAccount(username) : undefined;
  const ok = await verifyPassword(password, account ? account.passwordHash : await decoyHash());
  const blocked = !!account && (account.lockedUntil > now || account.status !== 'active');
  if (account && ok && !blocked) {
    await authStore.recordSuccessfulLogin(account.username);
    return { ok: true, account };
  }
  const failures = account && !blocked ? await authStore.recordFailedLogin(account.username, (n) => lockoutWait(n), now) : 0;
  return { ok: false, account, failures, locked: blocked || (failures > 0 && lockoutWait(failures) > 0) };
}

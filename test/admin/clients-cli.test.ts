/**
 * `patient-access clients …` (SPEC §8): the command function in-process on each store (output, --json,
 * errors to stderr with exit 1, usage errors), and the real command spawned on a SQLite DATA_DIR once
 * `clients` is wired into the CLI's command table.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../../src/config/index.js';
import { runClients } from '../../src/cli/clients.js';
import { UsageError } from '../../src/cli/main.js';
import { submitRegistration } from '../../src/admin/registrations.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { AuthStore } from '../../src/store/auth.js';
import { SQLITE_FILE_NAME } from '../../src/store/index.js';
import { RegistrationStore } from '../../src/store/registrations.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { storeKinds, type StoreFixture } from '../helpers/stores.js';

const BIN = fileURLToPath(new URL('../../bin/patient-access.js', import.meta.url));

const REG = {
  contact_email: 'dev@example.com',
  organization_name: 'Example Health Apps',
  organization_description: 'Apps for patients.',
  application_name: 'Care Tracker',
  use_case: 'Shows lab results.',
  redirect_uris: ['https://care.example.com/callback'],
  client_type: 'confidential',
};

async function submit(store: Store, body: Record<string, unknown> = REG): Promise<string> {
  const r = await submitRegistration(store.sql, body, 'http://localhost:8080');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.submitted.reference;
}

for (const kind of storeKinds()) {
  describe(`clients command in-process (${kind.name})`, { skip: kind.skip }, () => {
    let fx: StoreFixture;
    const settings = loadSettings({ DATA_DIR: '/nonexistent-unused', LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv);
    const run = async (positionals: string[], values: Record<string, unknown> = {}) => {
      let stdout = '';
      let stderr = '';
      const status = await runClients(settings, positionals, values, {
        store: fx.store,
        out: { write: (t: string) => (stdout += t) },
        err: { write: (t: string) => (stderr += t) },
      });
      return { status, stdout, stderr };
    };

    before(async () => {
      fx = await kind.create();
    });
    after(async () => fx?.cleanup());

    test('list shows pending registrations and clients; --pending and --json', async () => {
      const empty = await run(['list']);
      assert.equal(empty.status, 0);
      assert.match(empty.stdout, /No registrations awaiting review/);
      assert.match(empty.stdout, /No clients/);
      const ref = await submit(fx.store);
      const listed = await run(['list']);
      assert.match(listed.stdout, new RegExp(`${ref}\\s+Care Tracker\\s+Example Health Apps\\s+confidential\\s+dev@example\\.com`));
      const pending = await run(['list'], { pending: true });
      assert.match(pending.stdout, new RegExp(ref));
      assert.doesNotMatch(pending.stdout, /Clients|No clients/);
      const json = JSON.parse((await run(['list'], { json: true })).stdout);
      assert.deepEqual(Object.keys(json).sort(), ['clients', 'pending_registrations']);
      assert.equal(json.pending_registrations[0].reference, ref);
      assert.equal(json.pending_registrations[0].status, 'pending');
      assert.ok(!JSON.stringify(json).includes('status_secret'));
      const pjson = JSON.parse((await run(['list'], { json: true, pending: true })).stdout);
      assert.deepEqual(Object.keys(pjson), ['pending_registrations']);
    });

    test('approve prints the client id and, once, the secret; show; approve twice fails', async () => {
      const ref = await submit(fx.store);
      const shown = await run(['show', ref]);
      assert.equal(shown.status, 0);
      assert.match(shown.stdout, /Status:\s+pending/);
      assert.match(shown.stdout, /Use case:\s+Shows lab results\./);
      assert.equal(JSON.parse((await run(['show', ref], { json: true })).stdout).reference, ref);

      const approved = await run(['approve', ref]);
      assert.equal(approved.status, 0, approved.stderr);
      const clientId = /Client id:\s+(\S+)/.exec(approved.stdout)![1];
      const secret = /Client secret:\s+(\S+)/.exec(approved.stdout)![1];
      assert.match(clientId, /^care-tracker-[a-z0-9]{6}$/);
      assert.match(approved.stdout, /shown only this once/);
      const client = await new AuthStore(fx.store.sql).getClient(clientId);
      assert.equal(client?.secretHash, hashSecret(secret));

      const twice = await run(['approve', ref]);
      assert.equal(twice.status, 1);
      assert.equal(twice.stdout, '');
      assert.match(twice.stderr, /already approved/);

      const show = await run(['show', clientId]);
      assert.match(show.stdout, /Status:\s+active/);
      assert.match(show.stdout, new RegExp(`Registration:\\s+${ref}`));
      assert.ok(!show.stdout.includes(secret));
      const sjson = JSON.parse((await run(['show', clientId], { json: true })).stdout);
      assert.equal(sjson.client_id, clientId);
      assert.equal(sjson.type, 'confidential');
      assert.equal(sjson.has_secret, true);
      assert.equal(sjson.registration, ref);
      assert.ok(!JSON.stringify(sjson).includes(client!.secretHash!));

      const json = JSON.parse((await run(['approve', await submit(fx.store, { ...REG, client_type: 'public' })], { json: true })).stdout);
      assert.match(json.client_id, /^care-tracker-/);
      assert.equal(json.client_secret, undefined);
    });

    test('reject --note, disable, enable, rotate-secret, set-redirects', async () => {
      const rejected = await submit(fx.store);
      const r = await run(['reject', rejected], { note: 'Not a health app.' });
      assert.equal(r.status, 0);
      assert.equal((await new RegistrationStore(fx.store.sql).get(rejected))?.decisionNote, 'Not a health app.');
      assert.equal((await run(['reject', rejected])).status, 1);

      const ref = await submit(fx.store);
      const clientId = /Client id:\s+(\S+)/.exec((await run(['approve', ref])).stdout)![1];
      const auth = new AuthStore(fx.store.sql);

      const d = await run(['disable', clientId]);
      assert.equal(d.status, 0);
      const disabled = await auth.getClient(clientId);
      assert.equal(disabled?.status, 'disabled');
      assert.ok(disabled!.tokensValidAfter > Date.now() - 5000);
      assert.match((await run(['disable', clientId])).stderr, /already disabled/);
      assert.equal((await run(['enable', clientId])).status, 0);
      assert.equal((await auth.getClient(clientId))?.status, 'active');
      assert.equal((await run(['enable', clientId])).status, 1);

      const before = (await auth.getClient(clientId))!;
      const rot = await run(['rotate-secret', clientId]);
      assert.equal(rot.status, 0);
      const secret = new RegExp(`New secret for ${clientId}: (\\S+)`).exec(rot.stdout)![1];
      const after = (await auth.getClient(clientId))!;
      assert.equal(after.secretHash, hashSecret(secret));
      assert.ok(after.tokensValidAfter >= before.tokensValidAfter);
      const rotJson = JSON.parse((await run(['rotate-secret', clientId], { json: true })).stdout);
      assert.equal((await auth.getClient(clientId))?.secretHash, hashSecret(rotJson.client_secret));

      const pub = /Client id:\s+(\S+)/.exec((await run(['approve', await submit(fx.store, { ...REG, client_type: 'public' })])).stdout)![1];
      const refused = await run(['rotate-secret', pub]);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /public client/);

      const bad = await run(['set-redirects', clientId, 'https://ok.example.com/cb', 'http://evil.example.com/cb']);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /http:\/\/evil\.example\.com\/cb" must use https/);
      assert.deepEqual((await auth.getClient(clientId))?.redirectUris, REG.redirect_uris);
      const good = await run(['set-redirects', clientId, 'https://ok.example.com/cb', 'http://127.0.0.1/cb']);
      assert.equal(good.status, 0);
      assert.deepEqual((await auth.getClient(clientId))?.redirectUris, ['https://ok.example.com/cb', 'http://127.0.0.1/cb']);
    });

    test('unknown ids and references fail with exit 1 and a message naming them', async () => {
      for (const args of [['show', 'no-such-client'], ['show', 'REG-2222-2222'], ['approve', 'REG-2222-2222'], ['reject', 'nonsense'], ['disable', 'ghost'], ['enable', 'ghost'], ['rotate-secret', 'ghost'], ['set-redirects', 'ghost', 'https://a.example.com/cb']]) {
        const res = await run(args);
        assert.equal(res.status, 1, args.join(' '));
        assert.ok(res.stderr.includes(args[1]), `${args.join(' ')}: ${res.stderr}`);
      }
    });

    test('usage errors', async () => {
      for (const [args, values] of [
        [[], {}],
        [['frobnicate'], {}],
        [['show'], {}],
        [['approve'], {}],
        [['approve', 'A', 'B'], {}],
        [['list', 'extra'], {}],
        [['set-redirects', 'id'], {}],
        [['approve', 'REG-2222-2222'], { note: 'x' }],
        [['show', 'x'], { pending: true }],
        [['disable', 'x'], { json: true }],
      ] as [string[], Record<string, unknown>][]) {
        await assert.rejects(run(args, values), UsageError, args.join(' '));
      }
    });
  });
}

describe('patient-access clients (spawned)', () => {
  const cli = (args: string[], env: Record<string, string>) => {
    const res = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '', NODE_ENV: 'test', ...env }, timeout: 120_000 });
    return { status: res.status, stdout: res.stdout, stderr: res.stderr };
  };
  const wired = cli(['--help'], {}).stdout.includes('clients');
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pa-clients-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('list, approve (id and secret once), show --json, errors and usage', { skip: wired ? false : '`clients` is not wired into src/cli/main.ts yet' }, async () => {
    const env = { DATA_DIR: dir };
    const first = cli(['clients', 'list'], env);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /No registrations awaiting review/);
    const store = new SqliteStore(join(dir, SQLITE_FILE_NAME));
    await store.migrate();
    const ref = await submit(store);
    await store.close();

    const listed = cli(['clients', 'list', '--json'], env);
    assert.equal(JSON.parse(listed.stdout).pending_registrations[0].reference, ref);
    const approved = cli(['clients', 'approve', ref], env);
    assert.equal(approved.status, 0, approved.stderr);
    const clientId = /Client id:\s+(\S+)/.exec(approved.stdout)![1];
    assert.match(approved.stdout, /Client secret:\s+\S{43}/);
    const again = cli(['clients', 'approve', ref], env);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already approved/);
    const shown = JSON.parse(cli(['clients', 'show', clientId, '--json'], env).stdout);
    assert.equal(shown.client_id, clientId);
    assert.equal(cli(['clients', 'reject', 'REG-2222-2222', '--note', 'no'], env).status, 1);
    const usage = cli(['clients', 'frobnicate'], env);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /frobnicate/);
    assert.equal(cli(['clients', 'show', clientId, '--bogus'], env).status, 2);
    const help = cli(['clients', '--help'], env);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /rotate-secret/);
  });
});

/**
 * The `patient-access` command as a user runs it: help, usage errors with non-zero exits, import with a
 * summary, generate, demo reset (refused in production), and `serve` answering over HTTP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/patient-access.js', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../../shared/fhir/samples/uscore_bundle_patient_85.json', import.meta.url));

function cli(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: '', NODE_ENV: 'test', ...env },
    timeout: 120_000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('patient-access CLI', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pa-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--help lists the commands', () => {
    const res = cli(['--help']);
    assert.equal(res.status, 0);
    for (const c of ['serve', 'import', 'generate', 'demo']) assert.match(res.stdout, new RegExp(`\\b${c}\\b`));
    const sub = cli(['import', '--help']);
    assert.equal(sub.status, 0);
    assert.match(sub.stdout, /patient-access import FILE/);
  });

  test('usage errors go to stderr with exit status 2', () => {
    for (const args of [[], ['frobnicate'], ['import'], ['generate', '--patients', 'many', '--out', dir], ['generate', '--patients', '3'], ['demo'], ['demo', 'explode'], ['import', '--bogus', 'x']]) {
      const res = cli(args);
      assert.equal(res.status, 2, args.join(' '));
      assert.ok(res.stderr.length > 0 || res.stdout.includes('Usage'), args.join(' '));
    }
  });

  test('invalid settings are named', () => {
    const res = cli(['demo', 'reset'], { DATA_DIR: join(dir, 'cfg'), PORT: 'eighty' });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /PORT/);
  });

  test('PORT 0 (any free port) is refused without PUBLIC_URL, whose address would otherwise say port 0', () => {
    const refused = cli(['serve'], { DATA_DIR: join(dir, 'port0'), PORT: '0' });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /PORT: 0 .*needs PUBLIC_URL/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
    const accepted = cli(['demo', 'reset'], { DATA_DIR: join(dir, 'port0'), PORT: '0', PUBLIC_URL: 'https://fhir.example.org' });
    assert.equal(accepted.status, 0, accepted.stderr);
  });

  test('import prints a summary; a bad file fails with its problems listed and nothing written', () => {
    const data = join(dir, 'import');
    const ok = cli(['import', SAMPLE], { DATA_DIR: data });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /transaction\s+267\s+0\s+0/);
    const again = cli(['import', SAMPLE], { DATA_DIR: data });
    assert.match(again.stdout, /transaction\s+0\s+0\s+267/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', id: 'x', gender: 'often' }, request: { method: 'PUT', url: 'Patient/x' } }] }));
    const res = cli(['import', bad], { DATA_DIR: data });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /nothing was written/);
    assert.match(res.stderr, /entry 0: Bundle\.entry\[0\]\.resource\.gender/);
    const missing = cli(['import', join(dir, 'nope.json')], { DATA_DIR: data });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.json/);
  });

  test('generate writes deterministic NDJSON', () => {
    const out = join(dir, 'gen');
    const res = cli(['generate', '--patients', '3', '--seed', '7', '--out', out]);
    assert.equal(res.status, 0, res.stderr);
    assert.ok(readdirSync(out).includes('Patient.ndjson'));
    assert.match(res.stdout, /3 patients/);
  });

  test('demo reset recreates the demo practice, and is refused in production', () => {
    const data = join(dir, 'demo');
    const first = cli(['demo', 'reset'], { DATA_DIR: data });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /\d+ created/);
    const second = cli(['demo', 'reset'], { DATA_DIR: data });
    assert.match(second.stdout, /0 created, 0 updated, \d+ unchanged/);
    const prod = cli(['demo', 'reset'], { DATA_DIR: data, NODE_ENV: 'production' });
    assert.equal(prod.status, 1);
    assert.match(prod.stderr, /production/);
  });

  test('keys rotate makes a new signing key and keeps the old one verifying; other actions are usage errors', async () => {
    const data = join(dir, 'keys');
    const first = cli(['keys', 'rotate'], { DATA_DIR: data });
    assert.equal(first.status, 0, first.stderr);
    const kid1 = /New signing key (\S+)\./.exec(first.stdout)?.[1];
    assert.ok(kid1);
    const second = cli(['keys', 'rotate'], { DATA_DIR: data });
    assert.equal(second.status, 0, second.stderr);
    const kid2 = /New signing key (\S+)\./.exec(second.stdout)?.[1];
    assert.ok(kid2 && kid2 !== kid1);
    assert.match(second.stdout, new RegExp(`Retired ${kid1}: still verifying`));
    const { SqliteStore } = await import('../../src/store/sqlite/index.js');
    const { AuthStore } = await import('../../src/store/auth.js');
    const store = new SqliteStore(join(data, 'patient-access.db'));
    try {
      const keys = await new AuthStore(store.sql).listKeys();
      assert.deepEqual(keys.filter((k) => k.retiredAt === null).map((k) => k.kid), [kid2]);
      assert.ok(keys.some((k) => k.kid === kid1));
    } finally {
      await store.close();
    }
    assert.equal(cli(['keys'], { DATA_DIR: data }).status, 2);
    assert.equal(cli(['keys', 'shred'], { DATA_DIR: data }).status, 2);
  });

  test('serve seeds the demo practice, answers health checks and refuses data without a token', async () => {
    const data = join(dir, 'serve');
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, DATA_DIR: data, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: '', NODE_ENV: 'test', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      for (let i = 0; i < 100 && !out.includes('FHIR base'); i++) await new Promise((r) => setTimeout(r, 200));
      assert.match(out, /FHIR base\s+http:\/\/localhost:\d+\/api\/fhir\/r4/);
      assert.match(out, /Seeded the demo practice/);
      const base = `http://127.0.0.1:${port}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const meta = await fetch(`${base}/api/fhir/r4/metadata`);
      assert.equal(meta.status, 200);
      assert.equal((await meta.json()).resourceType, 'CapabilityStatement');
      const read = await fetch(`${base}/api/fhir/r4/Patient/428946492`);
      assert.equal(read.status, 401);
      assert.match(read.headers.get('www-authenticate') ?? '', /^Bearer/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});

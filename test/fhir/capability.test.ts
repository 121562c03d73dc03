/**
 * The CapabilityStatement is generated from the search registry: it instantiates US Core's server
 * statement, lists every US Core type plus Person, every SHALL and SHOULD search parameter, include and
 * revinclude of US Core — and every parameter it advertises is accepted by the search engine.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sqliteFixture, type StoreFixture } from '../helpers/stores.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { systemAccess } from '../../src/fhir/access.js';

const US_CORE = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../shared/fhir/us-core-6.1.0/CapabilityStatement-us-core-server.json', import.meta.url)), 'utf8'),
);
const EXPECTATION = 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-expectation';
const expectation = (x: any) => x.extension?.find((e: any) => e.url === EXPECTATION)?.valueCode;

const SAMPLE_VALUE: Record<string, string> = { token: 'x', string: 'x', date: 'ge2020-01-01', reference: 'Patient/x', uri: 'http://x', number: '1', quantity: '1' };

describe('CapabilityStatement', () => {
  let fx: StoreFixture;
  let server: TestServer;
  let cs: any;
  before(async () => {
    fx = await sqliteFixture();
    server = await startServer(fx.store, { system: systemAccess() });
    const res = await server.get('metadata');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+json/);
    cs = res.body;
  });
  after(async () => {
    await server?.close();
    await fx?.cleanup();
  });

  test('instantiates the US Core server statement and is FHIR 4.0.1 JSON', () => {
    assert.equal(cs.resourceType, 'CapabilityStatement');
    assert.deepEqual(cs.instantiates, [US_CORE.url]);
    assert.equal(cs.fhirVersion, '4.0.1');
    assert.equal(cs.kind, 'instance');
    assert.equal(cs.implementation.url, server.fhirBase);
  });

  test('every US Core resource type, plus Person, with its profiles', () => {
    const ours = new Map(cs.rest[0].resource.map((r: any) => [r.type, r]));
    for (const r of US_CORE.rest[0].resource) {
      const mine: any = ours.get(r.type);
      assert.ok(mine, r.type);
      for (const p of r.supportedProfile ?? []) assert.ok(mine.supportedProfile.includes(p), `${r.type} ${p}`);
      assert.ok(mine.interaction.some((i: any) => i.code === 'read'), `${r.type} read`);
    }
    assert.ok(ours.has('Person'));
  });

  test('every SHALL and SHOULD search parameter, include and revinclude', () => {
    const ours = new Map(cs.rest[0].resource.map((r: any) => [r.type, r]));
    for (const r of US_CORE.rest[0].resource) {
      const mine: any = ours.get(r.type);
      for (const p of r.searchParam ?? []) {
        if (!['SHALL', 'SHOULD'].includes(expectation(p)) && !(r.extension ?? []).length) continue;
        const found = (mine.searchParam ?? []).find((s: any) => s.name === p.name);
        assert.ok(found, `${r.type}?${p.name}`);
        assert.equal(found.type, p.type, `${r.type}?${p.name} type`);
      }
      for (const inc of r.searchInclude ?? []) assert.ok(mine.searchInclude?.includes(inc), `${r.type} _include=${inc}`);
      for (const rev of r.searchRevInclude ?? []) assert.ok(mine.searchRevInclude?.includes(rev), `${r.type} _revinclude=${rev}`);
    }
  });

  test('every advertised parameter, include and revinclude is accepted by search', async () => {
    for (const r of cs.rest[0].resource) {
      if (!r.interaction.some((i: any) => i.code === 'search-type')) continue;
      for (const p of r.searchParam ?? []) {
        const q = `${r.type}?${p.name}=${encodeURIComponent(SAMPLE_VALUE[p.type] ?? 'x')}`;
        const res = await server.get(q, 'system');
        assert.equal(res.status, 200, `${q}: ${JSON.stringify(res.body.issue ?? '')}`);
      }
      for (const inc of r.searchInclude ?? []) {
        assert.equal((await server.get(`${r.type}?_include=${inc}`, 'system')).status, 200, inc);
      }
      for (const rev of r.searchRevInclude ?? []) {
        assert.equal((await server.get(`${r.type}?_revinclude=${rev}`, 'system')).status, 200, rev);
      }
    }
  });

  test('every SHALL combination of US Core is one search', async () => {
    const COMBO = 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination';
    for (const r of US_CORE.rest[0].resource) {
      for (const ext of (r.extension ?? []).filter((e: any) => e.url === COMBO)) {
        const params = ext.extension.filter((e: any) => e.url === 'required').map((e: any) => e.valueString as string);
        const types = Object.fromEntries((r.searchParam ?? []).map((p: any) => [p.name, p.type]));
        const q = `${r.type}?` + params.map((p: string) => `${p}=${encodeURIComponent(SAMPLE_VALUE[types[p]] ?? 'x')}`).join('&');
        assert.equal((await server.get(q, 'system')).status, 200, q);
      }
    }
  });
});

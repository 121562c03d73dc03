/** Every error code in the code is documented in docs/errors.md, and every documented code exists. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FHIR_ERRORS } from '../src/fhir/errors.js';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

test('every FHIR error code is documented with its status', () => {
  for (const [code, spec] of Object.entries(FHIR_ERRORS)) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\``));
    assert.ok(row, `${code} is missing from docs/errors.md`);
    assert.match(row, new RegExp(`\\| ${spec.status} \\| ${spec.issue} \\|`), `${code} row`);
  }
});

test('every documented FHIR code exists', () => {
  for (const m of doc.matchAll(/`(FHIR_ERR_[A-Z_]+)`/g)) assert.ok(m[1] in FHIR_ERRORS, `${m[1]} is documented but not defined`);
});

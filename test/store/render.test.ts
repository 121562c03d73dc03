/**
 * The query renderer, asserted on SQL text and bound values (no database): placeholders are bound in
 * the order they appear, values never reach the SQL text, and compartment searches are driven from the
 * compartment index.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRead, renderRevInclude, renderSearch } from '../../src/store/sql/render.js';
import { toPostgres } from '../../src/store/postgres/index.js';
import type { ResourceQuery } from '../../src/store/types.js';

function placeholders(text: string): number {
  return (text.match(/\?/g) ?? []).length;
}

test('a patient-compartment search is driven from the compartment index', () => {
  const q: ResourceQuery = {
    type: 'Observation',
    where: {
      kind: 'and',
      all: [
        { kind: 'compartment', patients: ['p1'] },
        { kind: 'token', param: 'category', any: [{ code: 'laboratory' }] },
      ],
    },
    sort: [],
    limit: 51,
  };
  const sql = renderSearch(q);
  assert.match(sql.text, /^SELECT .* FROM compartment c JOIN resources r ON r\.seq = c\.seq WHERE c\.patient_id = \? AND c\.type = \?/);
  assert.deepEqual(sql.params, ['p1', 'Observation', 'category', 'laboratory', 51]);
  assert.equal(placeholders(sql.text), sql.params.length);
});

test('values never appear in the SQL text', () => {
  const evil = "x'); DROP TABLE resources; --";
  const sql = renderSearch({
    type: 'Patient',
    where: {
      kind: 'and',
      all: [
        { kind: 'string', param: 'name', any: [{ mode: 'prefix', value: evil }, { mode: 'contains', value: evil }] },
        { kind: 'id', any: [evil] },
        { kind: 'reference', param: 'organization', any: [{ targetId: evil, targetType: 'Organization' }] },
      ],
    },
    sort: [],
    limit: 10,
  });
  assert.ok(!sql.text.includes('DROP'));
  assert.equal(placeholders(sql.text), sql.params.length);
});

test('sort expressions, cursor and limit bind in textual order', () => {
  const sql = renderSearch({
    type: 'Observation',
    where: { kind: 'compartment', patients: ['a', 'b'] },
    sort: [{ key: { by: 'date', param: 'date' }, descending: true }],
    limit: 11,
    cursor: { direction: 'next', seq: 42, values: [1700000000000] },
  });
  assert.equal(placeholders(sql.text), sql.params.length);
  // select list: date param; from: the two patients; where: type; cursor: date, value, date, value, seq; order: date; limit
  assert.deepEqual(sql.params, ['date', 'a', 'b', 'Observation', 'date', 1700000000000, 'date', 1700000000000, 42, 'date', 11]);
  assert.match(sql.text, /ORDER BY .* DESC, r\.seq ASC LIMIT \?$/);
});

test('a previous-page cursor reverses the order and comparisons', () => {
  const sql = renderSearch({
    type: 'Observation',
    where: { kind: 'and', all: [] },
    sort: [],
    limit: 6,
    cursor: { direction: 'prev', seq: 10, values: [] },
  });
  assert.match(sql.text, /r\.seq < \?/);
  assert.match(sql.text, /ORDER BY r\.seq DESC/);
});

test('reverse includes bind type and parameter before the targets', () => {
  const sql = renderRevInclude('Provenance', 'target', [{ type: 'Observation', id: 'o1' }, { type: 'Observation', id: 'o2' }], {
    kind: 'compartment',
    patients: ['p1'],
  });
  assert.deepEqual(sql.params, ['Provenance', 'target', 'Observation', 'o1', 'o2', 'p1']);
  assert.equal(placeholders(sql.text), sql.params.length);
});

test('PostgreSQL placeholders are numbered in order', () => {
  assert.equal(toPostgres('a = ? AND b IN (?, ?)'), 'a = $1 AND b IN ($2, $3)');
});

test('a point read renders a frozen visibility condition once, and binds each read its own type and id', () => {
  // Rendering reads the condition's patients; reading them again would mean rendering again.
  let reads = 0;
  const visible = Object.freeze({
    kind: 'compartment' as const,
    get patients() {
      reads++;
      return ['p1'];
    },
  });
  const first = renderRead('Patient', 'p1', visible);
  const afterFirst = reads;
  assert.ok(afterFirst > 0);
  const second = renderRead('Observation', 'o9', visible);
  assert.equal(reads, afterFirst);
  assert.equal(first.text, second.text);
  assert.deepEqual(first.params, ['Patient', 'p1', 'p1']);
  assert.deepEqual(second.params, ['Observation', 'o9', 'p1']);
  assert.equal(placeholders(first.text), first.params.length);
  // A bound-values array is the caller's own: changing it does not reach the next read.
  first.params.push('x');
  assert.deepEqual(renderRead('Patient', 'p2', visible).params, ['Patient', 'p2', 'p1']);
  assert.equal(reads, afterFirst);
});

test('a point read renders a condition that is not frozen afresh every time, so a change to it takes effect', () => {
  const visible = { kind: 'compartment' as const, patients: ['p1'] };
  assert.deepEqual(renderRead('Patient', 'p1', visible).params, ['Patient', 'p1', 'p1']);
  visible.patients = ['p2', 'p3'];
  const after = renderRead('Patient', 'p1', visible);
  assert.deepEqual(after.params, ['Patient', 'p1', 'p2', 'p3']);
  assert.equal(placeholders(after.text), 4);
  assert.deepEqual(renderRead('Patient', 'p1', undefined), { text: 'SELECT r.seq, r.version_id, r.last_updated, r.content FROM resources r WHERE r.type = ? AND r.id = ?', params: ['Patient', 'p1'] });
});

/**
 * `parseDateRange`: a date is a range at its own precision, and a day that does not exist in its month
 * (by the Gregorian leap-year rules) is no date at all.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDateRange } from '../../src/fhir/search/dates.js';

describe('parseDateRange', () => {
  test('the last day of each month exists, the day after does not', () => {
    const days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    days.forEach((last, i) => {
      const month = String(i + 1).padStart(2, '0');
      assert.deepEqual(parseDateRange(`2023-${month}-${last}`), { lo: Date.UTC(2023, i, last), hi: Date.UTC(2023, i, last + 1) - 1 });
      assert.equal(parseDateRange(`2023-${month}-${last + 1}`), undefined, `2023-${month}-${last + 1}`);
    });
    assert.equal(parseDateRange('2023-06-00'), undefined);
  });

  test('29 February: every fourth year, not in centuries, but in every fourth century', () => {
    for (const year of ['2024', '2000', '1600']) assert.ok(parseDateRange(`${year}-02-29`), year);
    for (const year of ['2023', '1900', '2100']) assert.equal(parseDateRange(`${year}-02-29`), undefined, year);
  });
});

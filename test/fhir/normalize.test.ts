/**
 * `normalizeString`, which both the string index and string searches go through: case, accents and runs
 * of whitespace never matter, for ASCII and non-ASCII text alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeString } from '../../src/fhir/search/normalize.js';

test('case, accents and whitespace are folded', () => {
  const cases: [string, string][] = [
    ['Smith', 'smith'],
    ['  Mary\tAnn \n Smith  ', 'mary ann smith'],
    ['Lefèvre', 'lefevre'],
    ['ZOË', 'zoe'],
    ['Lefe\u0300vre', 'lefevre'], // already decomposed: e + combining grave
    ['Ωμέγα', 'ωμεγα'],
    ['Müller-Lüdenscheidt', 'muller-ludenscheidt'],
    ['Body Mass Index (BMI) [Ratio]', 'body mass index (bmi) [ratio]'],
    ['', ''],
  ];
  for (const [input, expected] of cases) assert.equal(normalizeString(input), expected, JSON.stringify(input));
});

test('an accented and an unaccented spelling normalize alike', () => {
  assert.equal(normalizeString('José Núñez'), normalizeString('jose nunez'));
  assert.equal(normalizeString('ÅSA'), normalizeString('asa'));
});

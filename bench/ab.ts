/**
 * Compares one benchmark request set on two builds of the server, side by side: this checkout's and another
 * checkout's (say a `git worktree add ../base <rev>`, with node_modules installed or linked). Development
 * only; `npm run bench` is the measurement of record.
 *
 * This host's speed drifts by more than most changes are worth (the raw baseline alone moved between 44k
 * and 62k req/s within minutes), so the two servers and the raw baseline take turns, round after round,
 * the two servers in alternating order, and the totals are compared. Run a checkout against itself first
 * to see the noise: 16 rounds of 2 s here put an unchanged build at 0.96–1.01 of itself, so a difference
 * under 5 % needs several runs (or more rounds) before it means anything.
 *
 * Needs the files a `npm run bench` of the same population left in bench/.work/ (the SQLite file and the
 * recorded answers). Both servers read the same file, as the bench server does (audited, no rate limits).
 *
 * Usage: node --import tsx bench/ab.ts <other-checkout> [--match REGEX] [--rounds 16] [--seconds 2]
 *        [--patients 1000] [--seed 1]
 * --match picks the recorded URLs to request (default: the point read, `/Patient/{id}`).
 */
import autocannon, { type Request as CannonRequest } from 'autocannon';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { killAllChildren, startChild, type Child } from './child.js';
import type { RecordedResponse } from './raw-server.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WORK = join(ROOT, 'bench', '.work');

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    match: { type: 'string', default: '/Patient/[^/?$]+$' },
    rounds: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '2' },
    patients: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
  },
});
const other = positionals[0] && resolve(positionals[0]);
function stop(message: string): never {
  process.stderr.write(`bench/ab.ts: ${message}\n`);
  process.exit(1);
}
if (!other || !existsSync(join(other, 'bench', 'server.ts'))) {
  stop('usage: bench/ab.ts <other-checkout> [--match REGEX] [--rounds N] [--seconds S]; the checkout must have bench/server.ts');
}
const rounds = Number(flags.rounds);
const seconds = Number(flags.seconds);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(seconds) || seconds < 1) stop('--rounds and --seconds take whole numbers from 1');
const dbFile = join(WORK, `bench-${flags.patients}-${flags.seed}.db`);
const recordFile = join(WORK, `recorded-${flags.patients}-${flags.seed}.json`);
if (!existsSync(dbFile) || !existsSync(recordFile)) stop(`${dbFile} or ${recordFile} is missing: run npm run bench -- --patients ${flags.patients} first`);

const recorded = JSON.parse(readFileSync(recordFile, 'utf8')) as Record<string, RecordedResponse>;
const match = new RegExp(flags.match!);
const requests: CannonRequest[] = Object.keys(recorded)
  .filter((path) => match.test(path))
  .map((path) => {
    // The bench server's access resolver takes the patient from x-bench-patient.
    const patient = /\/Patient\/([^/?]+)|[?&]patient=([^&]+)/.exec(path);
    if (!patient) stop(`${path}: no patient in the URL to send as x-bench-patient`);
    return { method: 'GET', path, headers: { 'x-bench-patient': patient[1] ?? patient[2] } };
  });
if (!requests.length) stop(`no recorded URL matches ${match}`);

process.on('exit', killAllChildren);
const port = async (child: Child<{ port: number }>) => (await child.ready).port;
const servers = [
  { name: 'other', port: await port(startChild('server.ts', [dbFile], [], other)) },
  { name: 'this', port: await port(startChild('server.ts', [dbFile])) },
  { name: 'raw', port: await port(startChild('raw-server.ts', [recordFile])) },
];

async function load(port: number, duration: number) {
  return await autocannon({ url: `http://127.0.0.1:${port}`, connections: 16, duration, requests });
}
for (const s of servers) await load(s.port, 2); // warm-up
const totals = [0, 0, 0];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? [1, 0, 2] : [0, 1, 2];
  const rates: number[] = [];
  for (const i of order) {
    const r = await load(servers[i].port, seconds);
    if (r.non2xx || r.errors) stop(`${servers[i].name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
    totals[i] += r.requests.total;
    rates[i] = r.requests.average;
  }
  console.log(`round ${round + 1}: other ${Math.round(rates[0])}/s, this ${Math.round(rates[1])}/s, raw ${Math.round(rates[2])}/s`);
}
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
console.log(
  `${requests.length} URLs, ${rounds} rounds of ${seconds} s: other ${pct(totals[0], totals[2])} of raw, this ${pct(totals[1], totals[2])} of raw; this/other ${(totals[1] / totals[0]).toFixed(3)}`,
);
process.exit(0);

/**
 * `npm run bench`: generates (or reuses) a synthetic population, imports it into a fresh SQLite file,
 * then load-tests the real server and a raw node:http baseline serving the same bytes, side by side.
 * The point read (both access variants) and one search also run against the same server built without
 * the FHIR audit hook (`auditFhir: false`), taking turns with the real one: the audit trail's cost.
 * With more than 1,000 patients, the searches also run on the 1,000-patient file in the same turns, for
 * the search-scaling target.
 * Writes bench/results/patients-<N>.json and regenerates docs/benchmarks.md.
 *
 * Flags: --patients N (1000) --seed S (1) --duration SECONDS per scenario and server (10) --connections C (16)
 *        --rounds R (5: the servers of a scenario take turns, DURATION/R seconds each, R times)
 *        --warmup SECONDS per scenario and server (2) --reuse-db (skip the import; development only)
 *        --cpu-prof-import (write a V8 CPU profile of the import to bench/.work/prof/)
 *        --cpu-prof-server (profile the real server under load; the figures are then not saved, as profiling slows it)
 * Summarize a profile with: node --import tsx bench/profile-summary.ts bench/.work/prof/<file>.cpuprofile
 * Compare a change with another checkout, in turns on this run's files: node --import tsx bench/ab.ts <checkout>
 */
import autocannon, { type Request as CannonRequest } from 'autocannon';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release, type as osType } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_REDIRECT_URI, BENCH_SCOPE, BenchAuthSetup, type MintedCode, type MintedRefreshToken } from './auth-setup.js';
import { killAllChildren, startChild, type Child } from './child.js';
import type { ImportResult } from './import.js';
import { ensurePopulation, populationDir, WORK_DIR } from './population.js';
import type { RecordedResponse } from './raw-server.js';
import type { AuditStats, BenchServerReady } from './server.js';
import { renderDoc, type RunResult, type ScenarioResult, type TokenFigures } from './report.js';
import { DEMO_CLIENTS } from '../src/demo/auth-seed.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS_DIR = join(ROOT, 'bench', 'results');
const DOC_FILE = join(ROOT, 'docs', 'benchmarks.md');
const FHIR = '/api/fhir/r4';
const PATIENTS_PER_SCENARIO = 50;
/** Headers node:http writes for any server (the raw baseline's too): not part of the recorded answer. */
const NODE_WRITES_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
/** The population size the search-scaling target compares against (its p95 is measured in the same run). */
const SMALL_PATIENTS = 1000;
/** Scenarios also run against the unaudited server (besides read-bearer, which always is). */
const AUDIT_COST_KEYS = new Set(['read', 'vitals']);

// ------------------------------------------------------------------------------------------ setup
const { values: flags } = parseArgs({
  options: {
    patients: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    'reuse-db': { type: 'boolean', default: false },
    'cpu-prof-import': { type: 'boolean', default: false },
    'cpu-prof-server': { type: 'boolean', default: false },
  },
});
function intFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  return n;
}
const PATIENTS = intFlag('patients', flags.patients!, 1, 1_000_000);
const SEED = intFlag('seed', flags.seed!, -(2 ** 31), 2 ** 31);
const DURATION = intFlag('duration', flags.duration!, 1, 600);
const CONNECTIONS = intFlag('connections', flags.connections!, 1, 1000);
const WARMUP = intFlag('warmup', flags.warmup!, 0, 60);
const ROUNDS = intFlag('rounds', flags.rounds!, 1, 60);
if (DURATION / ROUNDS < 1) throw new Error(`--duration ${DURATION} split in ${ROUNDS} rounds leaves less than a second per turn`);

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
let failing = false;
const fail = (msg: string): never => {
  throw new Error(msg);
};
process.on('exit', killAllChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping children`);
    killAllChildren();
    process.exit(130);
  });
}

// ------------------------------------------------------------------------------------------ helpers
function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const osRelease = existsSync('/etc/os-release') ? /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] : undefined;
  return {
    cpu: model,
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${osRelease ?? osType()} (${osType()} ${release()})`,
  };
}

function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s*(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every 200 ms until stopped; returns the maximum in MiB. */
function sampleRss(pid: number) {
  let max = rssKiB(pid) ?? 0;
  const timer = setInterval(() => {
    const v = rssKiB(pid);
    if (v !== undefined && v > max) max = v;
  }, 200);
  return {
    stop(): number {
      clearInterval(timer);
      const v = rssKiB(pid);
      if (v !== undefined && v > max) max = v;
      return max / 1024;
    },
  };
}

/** CPU time in clock ticks (USER_HZ = 100 on Linux): the whole machine's busy time, and given processes'. */
function busyTicks(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
}
function processTicks(pid: number | 'self'): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return 0;
  }
}
/**
 * Measures how much CPU other processes on the machine used while a scenario ran (in cores): the
 * benchmark assumes it has the machine to itself, and this says when it did not.
 */
function foreignCpu(pids: number[]) {
  const ours = () => processTicks('self') + pids.reduce((n, p) => n + processTicks(p), 0);
  const t0 = performance.now();
  const b0 = busyTicks();
  const o0 = ours();
  return {
    stop(): number {
      const seconds = (performance.now() - t0) / 1000;
      return Math.max(0, (busyTicks() - b0 - (ours() - o0)) / 100 / seconds);
    },
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Fails unless a bench server started as asked: auditing as `audited` says, rate limits off. */
function checkServer(ready: BenchServerReady, audited: boolean, what: string): void {
  if (ready.auditFhir !== audited) fail(`${what}: started with auditFhir ${ready.auditFhir}, expected ${audited}`);
  if (ready.rateLimits.api !== 0 || ready.rateLimits.auth !== 0) {
    fail(`${what}: rate limits are on (api ${ready.rateLimits.api}, auth ${ready.rateLimits.auth}); the bench needs RATE_LIMIT_API=0 and RATE_LIMIT_AUTH=0`);
  }
}

const auditStats = (server: Child<BenchServerReady>) => server.call<AuditStats>({ op: 'audit-stats' });

/**
 * Checks the audit trail's writes over one measured run: the audited server wrote a record for every
 * request answered (and no transaction failed), the unaudited one none. Returns what the audited one wrote.
 */
function checkAudit(what: string, audited: boolean, before: AuditStats, after: AuditStats, answered: number): { records: number; transactions: number } {
  const records = after.records - before.records;
  const transactions = after.transactions - before.transactions;
  if (after.failedTransactions !== before.failedTransactions) fail(`${what}: ${after.failedTransactions - before.failedTransactions} audit transaction(s) failed`);
  if (audited && records < answered) fail(`${what}: ${records} audit records for ${answered} answers; some requests were not audited`);
  if (!audited && records !== 0) fail(`${what}: the unaudited server wrote ${records} audit records`);
  return { records, transactions };
}

interface Scenario {
  key: string;
  title: string;
  search: boolean;
  path: (patientId: string) => string;
}

const SCENARIOS: Scenario[] = [
  { key: 'read', title: 'GET Patient/{id}', search: false, path: (p) => `${FHIR}/Patient/${p}` },
  {
    key: 'vitals',
    title: 'GET Observation?patient&category=vital-signs',
    search: true,
    path: (p) => `${FHIR}/Observation?patient=${p}&category=vital-signs`,
  },
  {
    // Heart rate is recorded at every visit of every patient (systolic BP 8480-6 is only a component).
    key: 'code-date',
    title: 'GET Observation?patient&code=loinc|8867-4&date=ge2015-01-01',
    search: true,
    path: (p) => `${FHIR}/Observation?patient=${p}&code=${encodeURIComponent('http://loinc.org|8867-4')}&date=ge2015-01-01`,
  },
  {
    key: 'labs-revinclude',
    title: 'GET Observation?patient&category=laboratory&_revinclude=Provenance:target',
    search: true,
    path: (p) => `${FHIR}/Observation?patient=${p}&category=laboratory&_revinclude=Provenance:target`,
  },
  { key: 'everything', title: 'GET Patient/{id}/$everything (first page)', search: true, path: (p) => `${FHIR}/Patient/${p}/$everything` },
];

/** A scenario's requests, one per patient, each for that patient's records (the bench access resolver). */
function scenarioRequests(s: Scenario, patients: string[]): CannonRequest[] {
  return patients.map((p) => ({ method: 'GET', path: s.path(p), headers: { 'x-bench-patient': p } }));
}

/** Patients spread evenly over the population, read from the generated Patient.ndjson. */
function pickPatients(dir: string): string[] {
  const lines = readFileSync(join(dir, 'Patient.ndjson'), 'utf8').split('\n').filter((l) => l.trim());
  const n = Math.min(PATIENTS_PER_SCENARIO, lines.length);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const line = lines[Math.floor((i * lines.length) / n)];
    const id = (JSON.parse(line) as { id?: unknown }).id;
    if (typeof id !== 'string') fail(`Patient.ndjson line ${i} has no id`);
    ids.push(id as string);
  }
  return ids;
}

interface LoadResult {
  reqPerSec: number;
  total: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  bytesPerSec: number;
}

/** What one autocannon run saw; `summarize` merges several into a LoadResult. */
interface LoadSample {
  times: number[];
  ok: number;
  seconds: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  bytes: number;
}

async function loadSample(port: number, requests: CannonRequest[], seconds: number): Promise<LoadSample> {
  const times: number[] = [];
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    pipelining: 1,
    timeout: 10,
    requests,
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => times.push(responseTime));
  const r = await instance;
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = (v as { count: number }).count;
  return {
    times,
    ok: r['2xx'],
    seconds: r.duration,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
    bytes: r.throughput.total,
  };
}

function summarize(samples: LoadSample[]): LoadResult {
  const sum = (f: (s: LoadSample) => number) => samples.reduce((n, s) => n + f(s), 0);
  const sorted = Float64Array.from(samples.flatMap((s) => s.times)).sort();
  const seconds = sum((s) => s.seconds);
  const ok = sum((s) => s.ok);
  const statusCodes: Record<string, number> = {};
  for (const s of samples) for (const [code, n] of Object.entries(s.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    reqPerSec: ok / seconds,
    total: ok,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    non2xx: sum((s) => s.non2xx),
    errors: sum((s) => s.errors),
    timeouts: sum((s) => s.timeouts),
    statusCodes,
    bytesPerSec: sum((s) => s.bytes) / seconds,
  };
}

async function load(port: number, requests: CannonRequest[], seconds: number): Promise<LoadResult> {
  return summarize([await loadSample(port, requests, seconds)]);
}

interface VariantRun {
  which: Variant;
  port: number;
  requests: CannonRequest[];
  /** The bench server behind the port, for its audit counters (none for raw). */
  server?: Child<BenchServerReady>;
}

/**
 * Loads the variants of one scenario in ROUNDS interleaved rounds: in each round every variant gets
 * DURATION/ROUNDS seconds in turn, the order reversed every other round. This machine's speed drifts by a
 * quarter within seconds (the raw baseline alone went from 23k to 41k req/s between consecutive runs), so
 * variants measured one after the other compared different machines; taking turns, each samples the same
 * moments. Every turn is checked (no error answer; the audit counters as `checkAudit` says).
 */
async function measureVariants(
  label: string,
  variants: VariantRun[],
  pids: number[],
): Promise<{ results: Partial<Record<Variant, LoadResult>>; otherCpu: number; auditWrites?: { records: number; transactions: number } }> {
  if (WARMUP) for (const v of variants) await loadSample(v.port, v.requests, WARMUP);
  const turn = DURATION / ROUNDS;
  log(`${label}: ${variants.map((v) => v.which).join(', ')} take turns, ${ROUNDS} × ${turn} s each × ${CONNECTIONS} connections`);
  const samples = new Map<Variant, LoadSample[]>(variants.map((v) => [v.which, []]));
  let otherCpu = 0;
  let auditWrites: { records: number; transactions: number } | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
      const what = `${label} / ${v.which} (round ${round + 1})`;
      const before = v.server && (await auditStats(v.server));
      const foreign = foreignCpu(pids);
      const sample = await loadSample(v.port, v.requests, turn);
      otherCpu = Math.max(otherCpu, foreign.stop());
      if (sample.non2xx || sample.errors || sample.timeouts) {
        failing = true;
        fail(`${what}: ${sample.non2xx} non-2xx, ${sample.errors} errors, ${sample.timeouts} timeouts (status codes ${JSON.stringify(sample.statusCodes)})`);
      }
      if (sample.ok === 0) fail(`${what}: no successful responses`);
      if (v.server && before) {
        const w = checkAudit(what, v.which !== 'unaudited', before, await auditStats(v.server), sample.ok);
        if (v.which === 'real') auditWrites = { records: (auditWrites?.records ?? 0) + w.records, transactions: (auditWrites?.transactions ?? 0) + w.transactions };
      }
      samples.get(v.which)!.push(sample);
    }
  }
  const results: Partial<Record<Variant, LoadResult>> = {};
  for (const [which, list] of samples) results[which] = summarize(list);
  if (otherCpu > 0.2) log(`warning: other processes used ${otherCpu.toFixed(2)} cores during ${label}; figures are disturbed`);
  return { results, otherCpu, auditWrites };
}

// ------------------------------------------------------------------------------------------ main
function dbFileFor(patients: number): string {
  return join(WORK_DIR, `bench-${patients}-${SEED}.db`);
}

/** Imports `pop` into a fresh `dbFile` in a child process, checking that every resource was written. */
async function importPopulation(
  dbFile: string,
  pop: { resources: number; files: string[] },
  nodeArgs: string[] = [],
): Promise<{ imported: ImportResult; otherCpu: number }> {
  log(`importing into ${dbFile} …`);
  const child = startChild<ImportResult>('import.ts', [dbFile, ...pop.files], nodeArgs);
  const foreign = foreignCpu([child.proc.pid!]);
  const imported = await child.ready;
  const otherCpu = Math.round(foreign.stop() * 100) / 100;
  const code = await child.exited;
  if (code !== 0) fail(`import child exited with code ${code}`);
  if (imported.issues) fail(`import reported ${imported.issues} error issue(s)`);
  if (imported.resources !== pop.resources) fail(`import wrote ${imported.resources} resources, the population has ${pop.resources}`);
  log(`imported ${imported.resources} resources in ${imported.seconds.toFixed(1)} s = ${Math.round(imported.perSecond)} resources/s`);
  return { imported, otherCpu };
}

/**
 * In a run over more than `SMALL_PATIENTS` patients, the real server over the `SMALL_PATIENTS` file, which
 * takes turns with the others in every search scenario: the search-scaling target compares p95 at both
 * sizes measured in the same moments, not in runs minutes apart on a machine whose speed drifts. The file
 * is the one a `SMALL_PATIENTS` run left (same seed), or is imported now (not timed for the report).
 */
async function startSmallServer(): Promise<{ server: Child<BenchServerReady>; port: number; patients: string[] } | undefined> {
  if (PATIENTS <= SMALL_PATIENTS) return undefined;
  const file = dbFileFor(SMALL_PATIENTS);
  if (!existsSync(file)) {
    const pop = await ensurePopulation(SMALL_PATIENTS, SEED, log);
    await importPopulation(file, pop);
  } else log(`${SMALL_PATIENTS}-patient server for the search-scaling comparison: reusing ${file}`);
  const server = startChild<BenchServerReady>('server.ts', [file]);
  const ready = await server.ready;
  checkServer(ready, true, `${SMALL_PATIENTS}-patient server`);
  log(`${SMALL_PATIENTS}-patient server on 127.0.0.1:${ready.port} (pid ${server.proc.pid})`);
  return { server, port: ready.port, patients: pickPatients(populationDir(SMALL_PATIENTS, SEED)) };
}

async function main(): Promise<RunResult> {
  const started = Date.now();
  mkdirSync(WORK_DIR, { recursive: true });
  mkdirSync(RESULTS_DIR, { recursive: true });

  // 1. Population (cached; deterministic).
  log(`population: ${PATIENTS} patients, seed ${SEED}`);
  const pop = await ensurePopulation(PATIENTS, SEED, log);
  log(`${pop.cached ? 'reusing cached' : 'generated'} population: ${pop.resources} resources${pop.cached ? '' : ` in ${pop.generatedSeconds.toFixed(1)} s`}`);

  // 2. Import into a fresh SQLite file (child process).
  const dbFile = dbFileFor(PATIENTS);
  let imported: ImportResult | undefined;
  let importOtherCpu = 0;
  if (flags['reuse-db'] && existsSync(dbFile)) {
    log(`--reuse-db: skipping the import, using ${dbFile}`);
  } else {
    const profDir = join(WORK_DIR, 'prof');
    ({ imported, otherCpu: importOtherCpu } = await importPopulation(dbFile, pop, flags['cpu-prof-import'] ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []));
    if (flags['cpu-prof-import']) log(`CPU profile written under ${profDir}`);
  }
  const dbBytes = statSync(dbFile).size;

  // 3. The real server.
  const real = startChild<BenchServerReady>(
    'server.ts',
    [dbFile],
    // No --cpu-prof-name: the tsx loader's worker thread writes a profile too, and under one fixed name it
    // overwrote the main thread's. The default names carry the pid and thread id (main thread: 0).
    flags['cpu-prof-server'] ? ['--cpu-prof', '--cpu-prof-dir', join(WORK_DIR, 'prof')] : [],
  );
  const realReady = await real.ready;
  checkServer(realReady, true, 'real server');
  const realPort = realReady.port;
  const realPid = real.proc.pid!;
  log(`real server on 127.0.0.1:${realPort} (pid ${realPid})`);
  if (flags['cpu-prof-server']) log(`its main thread's CPU profile will be ${join(WORK_DIR, 'prof')}/CPU.*.${realPid}.0.*.cpuprofile`);
  // The same server without the FHIR audit hook (started after the first has migrated the file).
  const plain = startChild<BenchServerReady>('server.ts', [dbFile, '--no-audit']);
  const plainReady = await plain.ready;
  checkServer(plainReady, false, 'unaudited server');
  const plainPort = plainReady.port;
  const plainPid = plain.proc.pid!;
  log(`unaudited real server on 127.0.0.1:${plainPort} (pid ${plainPid})`);

  // 4. Requests per scenario, and 5. the bytes for the raw baseline, fetched once from the real server.
  const patients = pickPatients(populationDir(PATIENTS, SEED));
  const recorded: Record<string, RecordedResponse> = {};
  const shapes: Record<string, { meanBytes: number; meanEntries: number }> = {};
  for (const s of SCENARIOS) {
    let bytes = 0;
    let entries = 0;
    for (const p of patients) {
      const path = s.path(p);
      const res = await fetch(`http://127.0.0.1:${realPort}${path}`, { headers: { 'x-bench-patient': p } });
      const body = await res.text();
      if (res.status !== 200) fail(`${path} answered ${res.status} while recording: ${body.slice(0, 300)}`);
      // Every header the real server set (CORS ones included), so the baseline sends the same bytes; node
      // writes the framing ones itself, as it does for the real server.
      const headers: Record<string, string> = {};
      res.headers.forEach((v, h) => {
        if (!NODE_WRITES_HEADERS.has(h)) headers[h] = v;
      });
      if (!headers['access-control-allow-origin']) fail(`${path} answered without its CORS headers while recording`);
      recorded[path] = { headers, body };
      bytes += Buffer.byteLength(body);
      const parsed = JSON.parse(body) as { resourceType: string; entry?: unknown[] };
      if (s.search) {
        if (parsed.resourceType !== 'Bundle') fail(`${path} did not answer a Bundle`);
        entries += parsed.entry?.length ?? 0;
      } else entries += 1;
    }
    shapes[s.key] = { meanBytes: bytes / patients.length, meanEntries: entries / patients.length };
    if (shapes[s.key].meanEntries === 0) fail(`scenario ${s.key}: no entries for any chosen patient; the request list is not meaningful`);
  }
  // A request without the header must be refused.
  const anon = await fetch(`http://127.0.0.1:${realPort}${SCENARIOS[0].path(patients[0])}`);
  await anon.arrayBuffer();
  if (anon.status !== 401) fail(`a request without x-bench-patient answered ${anon.status}, expected 401`);
  // The unaudited server answers the point read with the same bytes (search bundles carry its own port).
  for (const p of patients) {
    const path = SCENARIOS[0].path(p);
    const res = await fetch(`http://127.0.0.1:${plainPort}${path}`, { headers: { 'x-bench-patient': p } });
    const body = await res.text();
    if (res.status !== 200 || body !== recorded[path].body) fail(`${path} on the unaudited server answered ${res.status} or other bytes`);
  }

  const recordFile = join(WORK_DIR, `recorded-${PATIENTS}-${SEED}.json`);
  writeFileSync(recordFile, JSON.stringify(recorded));
  const raw = startChild<{ port: number }>('raw-server.ts', [recordFile]);
  const { port: rawPort } = await raw.ready;
  log(`raw server on 127.0.0.1:${rawPort} (pid ${raw.proc.pid})`);
  const idleRssMiB = (rssKiB(realPid) ?? 0) / 1024;
  const small = await startSmallServer();

  // 6. Load, scenario by scenario: real (audited, as shipped), then unaudited for the audit-cost scenarios, then raw.
  const scenarios: ScenarioResult[] = [];
  let maxRssMiB = 0;
  for (const s of SCENARIOS) {
    const requests = scenarioRequests(s, patients);
    const variants: VariantRun[] = [
      { which: 'real', port: realPort, requests, server: real },
      ...(AUDIT_COST_KEYS.has(s.key) ? [{ which: 'unaudited' as const, port: plainPort, requests, server: plain }] : []),
      { which: 'raw', port: rawPort, requests },
    ];
    if (small && s.search) {
      variants.push({ which: 'small', port: small.port, requests: scenarioRequests(s, small.patients), server: small.server });
    }
    // RSS is sampled for the whole scenario: the real server's peak is under its own load.
    const sampler = sampleRss(realPid);
    const pids = [realPid, plainPid, raw.proc.pid!, ...(small ? [small.server.proc.pid!] : [])];
    const { results, otherCpu, auditWrites } = await measureVariants(s.key, variants, pids);
    const scenarioRss = sampler.stop();
    maxRssMiB = Math.max(maxRssMiB, scenarioRss);
    scenarios.push({
      key: s.key,
      title: s.title,
      search: s.search,
      meanBytes: Math.round(shapes[s.key].meanBytes),
      meanEntries: Math.round(shapes[s.key].meanEntries * 10) / 10,
      ...figuresOf(results as ScenarioLoads, auditWrites),
      maxRssMiB: Math.round(scenarioRss * 10) / 10,
      otherCpuCores: Math.round(otherCpu * 100) / 100,
    });
  }
  await real.stop();
  await plain.stop();
  await small?.server.stop();

  // 7. The authorization server: token endpoint throughput, and the point read with real bearer tokens.
  const auth = await authScenarios(dbFile, patients, recorded, shapes.read, rawPort, raw.proc.pid!);
  scenarios.push(auth.scenario);
  await raw.stop();

  return {
    date: new Date().toISOString(),
    machine: machine(),
    params: { patients: PATIENTS, seed: SEED, duration: DURATION, rounds: ROUNDS, connections: CONNECTIONS, warmup: WARMUP, patientsPerScenario: patients.length },
    population: { patients: PATIENTS, resources: pop.resources, dbBytes, byType: pop.byType },
    import: imported
      ? { resources: imported.resources, seconds: Math.round(imported.seconds * 100) / 100, perSecond: Math.round(imported.perSecond), otherCpuCores: importOtherCpu }
      : undefined,
    scenarios,
    auth: auth.figures,
    idleRssMiB: Math.round(idleRssMiB * 10) / 10,
    maxRssMiB: Math.round(Math.max(maxRssMiB, auth.figures.maxRssMiB) * 10) / 10,
    totalSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

// ------------------------------------------------------------------------------------------ auth
/**
 * A rate well above what the token endpoint reaches here (two RS256 signatures per answer; ~1,300/s measured
 * on 2 vCPUs, as WebCrypto signs on the libuv pool): sizes the warm-up queue, and is the measured queue's floor.
 */
const TOKEN_RATE_CEILING = 5000;
/** The main run's queue holds this many times what the warm-up rate predicts. */
const TOKEN_QUEUE_HEADROOM = 3;

/**
 * Loads the token endpoint with requests that each carry a different code or refresh token: bodies come
 * from a queue, one per request, through autocannon's `setupRequest` (called once per request built, per
 * connection). A queue that runs dry sends an unsupported grant type, so the run fails (a 400) instead of
 * reusing a code — which would also revoke its grant.
 */
async function tokenLoad(port: number, tokenPath: string, bodies: string[], seconds: number, what: string): Promise<LoadResult & { used: number }> {
  let next = 0;
  let exhausted = false;
  let firstError: string | undefined;
  let checked = false;
  const request: CannonRequest = {
    method: 'POST',
    path: tokenPath,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC_AUTH },
    setupRequest: (req) => {
      if (next < bodies.length) return { ...req, body: bodies[next++] };
      exhausted = true;
      return { ...req, body: 'grant_type=bench_queue_exhausted' };
    },
    onResponse: (status, body) => {
      if (status !== 200) {
        firstError ??= `${status} ${String(body).slice(0, 300)}`;
        return;
      }
      if (!checked) {
        checked = true;
        const missing = tokenAnswerProblem(String(body));
        if (missing) firstError ??= `a 200 answer ${missing}`;
      }
    },
  };
  const r = await load(port, [request], seconds);
  if (exhausted) fail(`${what}: the queue of ${bodies.length} single-use values ran dry; raise TOKEN_QUEUE_HEADROOM`);
  if (r.non2xx || r.errors || r.timeouts || firstError) {
    failing = true;
    fail(`${what}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts (status codes ${JSON.stringify(r.statusCodes)}); first problem: ${firstError ?? 'none recorded'}`);
  }
  if (r.total === 0) fail(`${what}: no successful responses`);
  return { ...r, used: next };
}

const BASIC_AUTH = `Basic ${Buffer.from(`${encodeURIComponent(DEMO_CLIENTS.confidential.clientId)}:${encodeURIComponent(DEMO_CLIENTS.confidential.secret)}`).toString('base64')}`;

/** What is wrong with a token answer for BENCH_SCOPE, or undefined when it has everything. */
function tokenAnswerProblem(body: string, patient?: string): string | undefined {
  let a: Record<string, unknown>;
  try {
    a = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return 'is not JSON';
  }
  for (const k of ['access_token', 'id_token', 'refresh_token', 'patient']) if (typeof a[k] !== 'string') return `has no ${k}`;
  if (a.token_type !== 'Bearer') return `has token_type ${String(a.token_type)}`;
  if (patient !== undefined && a.patient !== patient) return `is for patient ${String(a.patient)}, expected ${patient}`;
  return undefined;
}

const codeBody = (c: MintedCode) =>
  new URLSearchParams({ grant_type: 'authorization_code', code: c.code, redirect_uri: BENCH_REDIRECT_URI, code_verifier: c.verifier }).toString();
const refreshBody = (t: MintedRefreshToken) => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.token }).toString();

async function authScenarios(
  dbFile: string,
  patients: string[],
  recorded: Record<string, RecordedResponse>,
  readShape: { meanBytes: number; meanEntries: number },
  rawPort: number,
  rawPid: number,
): Promise<{ scenario: ScenarioResult; figures: NonNullable<RunResult['auth']> }> {
  const server = startChild<BenchServerReady>('server.ts', [dbFile, '--auth']);
  const ready = await server.ready;
  checkServer(ready, true, 'real server with the authorization server');
  const port = ready.port;
  const pid = server.proc.pid!;
  log(`real server with the authorization server (bearer tokens) on 127.0.0.1:${port} (pid ${pid})`);
  // The same without the FHIR audit hook; its own port is its tokens' audience, so it gets its own tokens.
  const plain = startChild<BenchServerReady>('server.ts', [dbFile, '--auth', '--no-audit']);
  const plainReady = await plain.ready;
  checkServer(plainReady, false, 'unaudited server with the authorization server');
  const plainPort = plainReady.port;
  const plainPid = plain.proc.pid!;
  log(`unaudited real server with the authorization server on 127.0.0.1:${plainPort} (pid ${plainPid})`);
  // Bench grants are written from here into the same file, so the server's RSS reflects serving only.
  const setup = new BenchAuthSetup(dbFile);
  const base = `http://127.0.0.1:${port}`;
  const smart = (await (await fetch(`${base}${FHIR}/.well-known/smart-configuration`)).json()) as { token_endpoint?: string };
  if (!smart.token_endpoint) fail('the SMART configuration has no token_endpoint');
  const tokenUrl = new URL(smart.token_endpoint!);
  if (tokenUrl.origin !== base) fail(`the token endpoint ${tokenUrl.href} is not on the server's own origin ${base}`);
  const tokenPath = tokenUrl.pathname;
  await setup.account(patients);

  // One access token per patient and server, from codes exchanged one by one (and checked answer by answer).
  const primeTokens = async (base: string): Promise<Map<string, string>> => {
    const accessTokens = new Map<string, string>();
    for (const c of await setup.codes(patients.length, patients, 60_000)) {
      const res = await fetch(`${base}${tokenPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC_AUTH },
        body: codeBody(c),
      });
      const body = await res.text();
      if (res.status !== 200) fail(`code exchange for ${c.patient} at ${base} answered ${res.status}: ${body.slice(0, 300)}`);
      const problem = tokenAnswerProblem(body, c.patient);
      if (problem) fail(`the token answer for ${c.patient} at ${base} ${problem}`);
      accessTokens.set(c.patient, (JSON.parse(body) as { access_token: string }).access_token);
    }
    // The authenticated read answers exactly the bytes the raw server has for the URL; a token reads only its own patient.
    for (const p of patients) {
      const path = `${FHIR}/Patient/${p}`;
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${accessTokens.get(p)}` } });
      const body = await res.text();
      if (res.status !== 200) fail(`${path} at ${base} with a bearer token answered ${res.status}: ${body.slice(0, 300)}`);
      if (body !== recorded[path]?.body) fail(`${path} at ${base} with a bearer token answered other bytes than the raw baseline serves`);
    }
    if (patients.length >= 2) {
      const other = await fetch(`${base}${FHIR}/Patient/${patients[1]}`, { headers: { authorization: `Bearer ${accessTokens.get(patients[0])}` } });
      await other.arrayBuffer();
      if (other.status === 200) fail(`a token for patient ${patients[0]} read Patient/${patients[1]} at ${base}`);
    }
    const anon = await fetch(`${base}${FHIR}/Patient/${patients[0]}`);
    await anon.arrayBuffer();
    if (anon.status !== 401) fail(`a read at ${base} without a bearer token answered ${anon.status}, expected 401`);
    return accessTokens;
  };
  const accessTokens = await primeTokens(base);
  const plainTokens = await primeTokens(`http://127.0.0.1:${plainPort}`);

  const rss = sampleRss(pid);
  const figures = (r: LoadResult & { used: number }, minted: number, otherCpu: number): TokenFigures => ({
    ...pick(r),
    minted,
    used: r.used,
    otherCpuCores: Math.round(otherCpu * 100) / 100,
  });

  // (f) and (g): warm-up on a queue sized for any plausible rate, then a queue sized from the warm-up rate.
  const tokenRun = async (what: string, mint: (n: number, ttlMs: number) => Promise<string[]>): Promise<TokenFigures> => {
    let expected = TOKEN_RATE_CEILING;
    if (WARMUP) {
      const warm = await tokenLoad(port, tokenPath, await mint(WARMUP * TOKEN_RATE_CEILING + 500, (WARMUP + 60) * 1000), WARMUP, `${what} (warm-up)`);
      expected = Math.max(warm.reqPerSec, 100);
    }
    // A cold warm-up can undershoot the steady rate a lot (it did by 3×): never size below the ceiling.
    const n = Math.ceil(Math.max(expected * TOKEN_QUEUE_HEADROOM, TOKEN_RATE_CEILING) * DURATION) + 4 * CONNECTIONS;
    const t0 = performance.now();
    const bodies = await mint(n, (DURATION + 60) * 1000);
    log(`${what}: ${n} single-use values written in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${DURATION} s × ${CONNECTIONS} connections`);
    const foreign = foreignCpu([pid, plainPid, rawPid]);
    const r = await tokenLoad(port, tokenPath, bodies, DURATION, what);
    const otherCpu = foreign.stop();
    if (otherCpu > 0.2) log(`warning: other processes used ${otherCpu.toFixed(2)} cores during ${what}; figures are disturbed`);
    return figures(r, n, otherCpu);
  };
  const codeExchange = await tokenRun('code exchange', async (n, ttlMs) =>
    (await setup.codes(n, patients, ttlMs)).map(codeBody),
  );
  const refresh = await tokenRun('refresh', async (n) => (await setup.refreshTokens(n, patients)).map(refreshBody));

  // (h): the point read with bearer tokens: audited, unaudited (its own tokens), and the raw server on the same URLs.
  const bearerRequests = (tokens: Map<string, string>): CannonRequest[] =>
    patients.map((p) => ({ method: 'GET', path: `${FHIR}/Patient/${p}`, headers: { authorization: `Bearer ${tokens.get(p)}` } }));
  const { results, otherCpu, auditWrites } = await measureVariants(
    'read-bearer',
    [
      { which: 'real', port, requests: bearerRequests(accessTokens), server },
      { which: 'unaudited', port: plainPort, requests: bearerRequests(plainTokens), server: plain },
      { which: 'raw', port: rawPort, requests: bearerRequests(accessTokens) },
    ],
    [pid, plainPid, rawPid],
  );
  const maxRssMiB = rss.stop();
  await server.stop();
  await plain.stop();
  await setup.close();
  return {
    scenario: {
      key: 'read-bearer',
      title: 'GET Patient/{id} with Authorization: Bearer (real token resolver)',
      search: false,
      meanBytes: Math.round(readShape.meanBytes),
      meanEntries: Math.round(readShape.meanEntries * 10) / 10,
      ...figuresOf(results as ScenarioLoads, auditWrites),
      maxRssMiB: Math.round(maxRssMiB * 10) / 10,
      otherCpuCores: Math.round(otherCpu * 100) / 100,
    },
    figures: { scope: BENCH_SCOPE, codeExchange, refresh, maxRssMiB: Math.round(maxRssMiB * 10) / 10 },
  };
}

/**
 * `small`: the real server over the 1,000-patient file, in a run over a larger one, so that search p95 at
 * both sizes is measured in the same moments (see `SMALL_PATIENTS`).
 */
type Variant = 'real' | 'unaudited' | 'raw' | 'small';
/** A scenario's loads by variant: real and raw always run, the others where the scenario has them. */
type ScenarioLoads = Record<'real' | 'raw', LoadResult> & Partial<Record<'unaudited' | 'small', LoadResult>>;

/** A scenario's load figures: real vs raw, and, when it ran unaudited too, the audit trail's cost. */
function figuresOf(
  results: ScenarioLoads,
  auditWrites: { records: number; transactions: number } | undefined,
): Pick<ScenarioResult, 'real' | 'raw' | 'ratio' | 'unaudited' | 'auditCost' | 'auditWrites' | 'small'> {
  const u = results.unaudited;
  return {
    real: pick(results.real),
    raw: pick(results.raw),
    ratio: results.real.reqPerSec / results.raw.reqPerSec,
    ...(u ? { unaudited: pick(u), auditCost: 1 - results.real.reqPerSec / u.reqPerSec, auditWrites } : {}),
    ...(results.small ? { small: { patients: SMALL_PATIENTS, ...pick(results.small) } } : {}),
  };
}

function pick(r: LoadResult) {
  const round = (x: number) => Math.round(x * 100) / 100;
  return { reqPerSec: Math.round(r.reqPerSec), p50: round(r.p50), p95: round(r.p95), p99: round(r.p99), non2xx: r.non2xx, errors: r.errors + r.timeouts, total: r.total };
}

function loadResults(): RunResult[] {
  return readdirSync(RESULTS_DIR)
    .filter((f) => /^patients-\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as RunResult);
}

try {
  const result = await main();
  const file = join(RESULTS_DIR, `patients-${PATIENTS}.json`);
  if (flags['cpu-prof-server']) {
    const { console: table } = renderDoc(result, [result]);
    process.stdout.write(table + '\n');
    log(`--cpu-prof-server: profile under ${join(WORK_DIR, 'prof')}; results not saved (profiling slows the server)`);
    process.exit(0);
  }
  if (!result.import && existsSync(file)) {
    // --reuse-db: keep the import figure of the last full run, with the date it was measured.
    const previous = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
    if (previous.import) result.import = { ...previous.import, measuredAt: previous.import.measuredAt ?? previous.date };
  }
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  const { markdown, console: table } = renderDoc(result, loadResults());
  process.stdout.write(table + '\n');
  writeFileSync(DOC_FILE, markdown);
  log(`wrote ${file} and ${DOC_FILE} (${result.totalSeconds} s in all)`);
  process.exit(0);
} catch (err) {
  killAllChildren();
  process.stderr.write(`\n[bench] FAILED${failing ? ' (errors under load)' : ''}: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
}

/**
 * Renders benchmark results: the console table and docs/benchmarks.md (regenerated whole on every run
 * from bench/results/patients-<N>.json, so the 1k and 10k runs appear side by side when both exist).
 */

export interface LoadFigures {
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

export interface ScenarioResult {
  key: string;
  title: string;
  search: boolean;
  meanBytes: number;
  meanEntries: number;
  real: LoadFigures;
  raw: LoadFigures;
  /** real req/s ÷ raw req/s */
  ratio: number;
  maxRssMiB: number;
  /** CPU used by other processes on the machine while this scenario ran, in cores (absent in old results). */
  otherCpuCores?: number;
  /** The same server built with `auditFhir: false`, run right after `real` (only the audit-cost scenarios). */
  unaudited?: LoadFigures;
  /** The audit trail's cost: 1 − real req/s ÷ unaudited req/s. */
  auditCost?: number;
  /** Audit records the real server wrote during its measured run, and the transactions (group commits) they took. */
  auditWrites?: { records: number; transactions: number };
  /**
   * In a run over a larger population: the same search on the real server over a `patients`-patient file,
   * taking turns with `real` (the search-scaling target compares the two). Absent in older results.
   */
  small?: LoadFigures & { patients: number };
}

/** A token endpoint run: every request exchanged a different code or refresh token. */
export interface TokenFigures extends LoadFigures {
  /** Single-use values written for the measured run, and how many of them were sent. */
  minted: number;
  used: number;
  otherCpuCores: number;
}

export interface RunResult {
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; os: string };
  /** `rounds`: the turns the servers of a scenario took (absent in runs before turns were taken: one each). */
  params: { patients: number; seed: number; duration: number; rounds?: number; connections: number; warmup: number; patientsPerScenario: number };
  population: { patients: number; resources: number; dbBytes: number; byType: Record<string, number> };
  /** `measuredAt`: set when this run reused the file (`--reuse-db`) and the figure is the run's that imported it. */
  import?: { resources: number; seconds: number; perSecond: number; otherCpuCores?: number; measuredAt?: string };
  scenarios: ScenarioResult[];
  /** The authorization server's figures (absent in results from before it landed). */
  auth?: {
    /** The scope of every bench grant. */
    scope: string;
    codeExchange: TokenFigures;
    refresh: TokenFigures;
    /** RSS of the server with the authorization server, under the token and bearer-read loads. */
    maxRssMiB: number;
  };
  idleRssMiB: number;
  maxRssMiB: number;
  totalSeconds: number;
}

export const TARGETS = {
  readRatio: 0.5,
  bearerReadRatio: 0.4,
  importPerSecond: 20_000,
  rssMiB: 250,
  searchP95Growth: 2,
  /** At most this share of read throughput may go to writing the audit trail (issue 4, point 5). */
  auditCost: 0.25,
};

const fmt = (n: number) => n.toLocaleString('en-US');
const ms = (n: number) => n.toFixed(n < 10 ? 2 : 1);
const pct = (r: number) => `${(r * 100).toFixed(1)} %`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r, ri) => r.map((c, i) => (ri === 0 || i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

function mdTable(rows: string[][], rightFrom = 1): string {
  const head = `| ${rows[0].join(' | ')} |`;
  const sep = `|${rows[0].map((_, i) => (i >= rightFrom ? '---:' : '---')).join('|')}|`;
  return [head, sep, ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function scenarioRows(r: RunResult, md: boolean): string[][] {
  const code = (s: string) => (md ? `\`${s.replace(/\|/g, '\\|')}\`` : s);
  const rows = [['scenario', 'real req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'raw req/s', 'raw p95 ms', 'real/raw', 'errors', 'body (mean)', 'entries', 'other CPU']];
  for (const s of r.scenarios) {
    rows.push([
      code(s.title),
      fmt(s.real.reqPerSec),
      ms(s.real.p50),
      ms(s.real.p95),
      ms(s.real.p99),
      fmt(s.raw.reqPerSec),
      ms(s.raw.p95),
      pct(s.ratio),
      String(s.real.non2xx + s.real.errors + s.raw.non2xx + s.raw.errors),
      `${(s.meanBytes / 1024).toFixed(1)} KiB`,
      String(s.meanEntries),
      s.otherCpuCores === undefined ? '?' : s.otherCpuCores.toFixed(2),
    ]);
  }
  return rows;
}

/** The searches on the smaller file, measured in turns with this run's (undefined when none were). */
function smallRows(r: RunResult, md: boolean): string[][] | undefined {
  const measured = r.scenarios.filter((s) => s.small);
  if (!measured.length) return undefined;
  const code = (s: string) => (md ? `\`${s.replace(/\|/g, '\\|')}\`` : s);
  const rows = [['scenario', 'patients', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', `p95 at ${fmt(r.params.patients)} ÷ p95 here`]];
  for (const s of measured) {
    const f = s.small!;
    rows.push([code(s.title), fmt(f.patients), fmt(f.reqPerSec), ms(f.p50), ms(f.p95), ms(f.p99), `${(s.real.p95 / f.p95).toFixed(2)}×`]);
  }
  return rows;
}

type Verdict = 'pass' | 'FAIL' | 'not measured';

function targets(all: RunResult[]): { name: string; target: string; measured: string; verdict: Verdict }[] {
  const byN = new Map(all.map((r) => [r.params.patients, r]));
  const k1 = byN.get(1000);
  const k10 = byN.get(10000);
  // Single-population targets are judged on the 1k run when there is one, else on the largest run.
  const base = k1 ?? [...all].sort((a, b) => b.params.patients - a.params.patients)[0];
  const out: { name: string; target: string; measured: string; verdict: Verdict }[] = [];
  const label = base ? ` (${fmt(base.params.patients)} patients)` : '';
  const read = base?.scenarios.find((s) => s.key === 'read');
  out.push({
    name: `Point read vs raw node:http${label}`,
    target: `≥ ${TARGETS.readRatio * 100} % of raw req/s`,
    measured: read ? `${pct(read.ratio)} (${fmt(read.real.reqPerSec)} vs ${fmt(read.raw.reqPerSec)} req/s)` : '—',
    verdict: read ? (read.ratio >= TARGETS.readRatio ? 'pass' : 'FAIL') : 'not measured',
  });
  const bearer = base?.scenarios.find((s) => s.key === 'read-bearer');
  out.push({
    name: `Authenticated point read (Bearer token verified) vs raw node:http${label}`,
    target: `≥ ${TARGETS.bearerReadRatio * 100} % of raw req/s`,
    measured: bearer ? `${pct(bearer.ratio)} (${fmt(bearer.real.reqPerSec)} vs ${fmt(bearer.raw.reqPerSec)} req/s)` : '—',
    verdict: bearer ? (bearer.ratio >= TARGETS.bearerReadRatio ? 'pass' : 'FAIL') : 'not measured',
  });
  const costed = base?.scenarios.filter((s) => s.unaudited && s.auditCost !== undefined) ?? [];
  for (const s of costed) {
    out.push({
      name: `Audit trail cost: \`${s.title.replace(/\|/g, '\\|')}\`${label}`,
      target: `≤ ${TARGETS.auditCost * 100} % of unaudited req/s`,
      measured: `${pct(s.auditCost!)} (${fmt(s.real.reqPerSec)} audited vs ${fmt(s.unaudited!.reqPerSec)} req/s)`,
      verdict: s.auditCost! <= TARGETS.auditCost ? 'pass' : 'FAIL',
    });
  }
  if (!costed.length) {
    out.push({ name: `Audit trail cost on reads${label}`, target: `≤ ${TARGETS.auditCost * 100} % of unaudited req/s`, measured: '—', verdict: 'not measured' });
  }
  for (const r of [k1, k10].filter((x): x is RunResult => !!x)) {
    out.push({
      name: `Import into SQLite (${fmt(r.params.patients)} patients)`,
      target: `≥ ${fmt(TARGETS.importPerSecond)} resources/s`,
      measured: r.import ? `${fmt(r.import.perSecond)} resources/s` : '—',
      verdict: r.import ? (r.import.perSecond >= TARGETS.importPerSecond ? 'pass' : 'FAIL') : 'not measured',
    });
    out.push({
      name: `Server RSS under load (${fmt(r.params.patients)} patients)`,
      target: `< ${TARGETS.rssMiB} MB`,
      measured: `${r.maxRssMiB.toFixed(1)} MiB max`,
      verdict: r.maxRssMiB < TARGETS.rssMiB ? 'pass' : 'FAIL',
    });
  }
  if (!k1 && !k10 && base) {
    out.push({
      name: `Import into SQLite${label}`,
      target: `≥ ${fmt(TARGETS.importPerSecond)} resources/s`,
      measured: base.import ? `${fmt(base.import.perSecond)} resources/s` : '—',
      verdict: base.import ? (base.import.perSecond >= TARGETS.importPerSecond ? 'pass' : 'FAIL') : 'not measured',
    });
  }
  const searchKeys = (k1 ?? k10)?.scenarios.filter((s) => s.search) ?? [];
  for (const s of searchKeys) {
    const b = k10?.scenarios.find((x) => x.key === s.key);
    // The 1k p95 measured in the 10k run, in turns with it; else (older results) the 1k run's own.
    const sameRun = b?.small?.patients === 1000 ? b.small : undefined;
    const a = sameRun ?? k1?.scenarios.find((x) => x.key === s.key)?.real;
    out.push({
      name: `Search p95 at 10k vs 1k: \`${s.title.replace(/\|/g, '\\|')}\``,
      target: `≤ ${TARGETS.searchP95Growth}× the 1k p95`,
      measured:
        a && b
          ? `${ms(b.real.p95)} ms vs ${ms(a.p95)} ms (${(b.real.p95 / a.p95).toFixed(2)}×${sameRun ? ', same run, in turns' : ', separate runs'})`
          : a
            ? `1k: ${ms(a.p95)} ms; 10k: not measured`
            : '—',
      verdict: a && b ? (b.real.p95 / a.p95 <= TARGETS.searchP95Growth ? 'pass' : 'FAIL') : 'not measured',
    });
  }
  return out;
}

function auditRows(r: RunResult, md: boolean): string[][] | undefined {
  const costed = r.scenarios.filter((s) => s.unaudited && s.auditCost !== undefined);
  if (!costed.length) return undefined;
  const code = (s: string) => (md ? `\`${s.replace(/\|/g, '\\|')}\`` : s);
  const rows = [['scenario', 'audited req/s', 'unaudited req/s', 'audit cost', 'audited p95 ms', 'unaudited p95 ms', 'records/commit', `≤ ${TARGETS.auditCost * 100} %`]];
  for (const s of costed) {
    const u = s.unaudited!;
    const w = s.auditWrites;
    rows.push([
      code(s.title),
      fmt(s.real.reqPerSec),
      fmt(u.reqPerSec),
      pct(s.auditCost!),
      ms(s.real.p95),
      ms(u.p95),
      w && w.transactions ? (w.records / w.transactions).toFixed(1) : '—',
      s.auditCost! <= TARGETS.auditCost ? 'pass' : 'FAIL',
    ]);
  }
  return rows;
}

function tokenRows(r: RunResult): string[][] | undefined {
  if (!r.auth) return undefined;
  const rows = [['token endpoint', 'per second', 'p50 ms', 'p95 ms', 'p99 ms', 'answers', 'errors', 'values written', 'other CPU']];
  for (const [name, f] of [
    ['POST token grant_type=authorization_code (HTTP Basic)', r.auth.codeExchange],
    ['POST token grant_type=refresh_token (HTTP Basic)', r.auth.refresh],
  ] as const) {
    rows.push([name, fmt(f.reqPerSec), ms(f.p50), ms(f.p95), ms(f.p99), fmt(f.total), String(f.non2xx + f.errors), fmt(f.minted), f.otherCpuCores.toFixed(2)]);
  }
  return rows;
}

function section(r: RunResult): string {
  const m = r.machine;
  const types = Object.entries(r.population.byType).sort((a, b) => b[1] - a[1]);
  return [
    `## ${fmt(r.params.patients)} patients`,
    '',
    `- Run: ${r.date} (seed ${r.params.seed}; ${r.params.duration} s per scenario and server after ${r.params.warmup} s warm-up, ${(r.params.rounds ?? 1) > 1 ? `in ${r.params.rounds} turns of ${r.params.duration / r.params.rounds!} s taken in alternation with the other servers` : 'in one go'}; ${r.params.connections} connections; requests rotate over ${r.params.patientsPerScenario} patients spread across the population; whole run ${r.totalSeconds} s)`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; Node ${m.node}; ${m.os}`,
    `- Population: ${fmt(r.population.patients)} patients, ${fmt(r.population.resources)} resources (${types
      .slice(0, 4)
      .map(([t, n]) => `${t} ${fmt(n)}`)
      .join(', ')}, …); SQLite file ${mb(r.population.dbBytes)}`,
    r.import
      ? `- Import (\`importFiles\` as \`patient-access import\` runs it, into a fresh SQLite file; one process, whose two import worker threads prepare one chunk while the other is written, and a third copies written chunks from the write-ahead log into the database): ${fmt(r.import.resources)} resources in ${r.import.seconds.toFixed(1)} s = **${fmt(r.import.perSecond)} resources/s**${r.import.otherCpuCores !== undefined ? ` (other processes used ${r.import.otherCpuCores.toFixed(2)} cores meanwhile)` : ''}${r.import.measuredAt ? `; measured by the run of ${r.import.measuredAt}, which imported the file this run reused (\`--reuse-db\`)` : ''}`
      : '- Import: not measured in this run',
    `- Server RSS: ${r.idleRssMiB.toFixed(1)} MiB idle after recording, **${r.maxRssMiB.toFixed(1)} MiB** max under load (VmRSS sampled every 200 ms${r.auth ? `; the real, Bearer server: ${r.auth.maxRssMiB.toFixed(1)} MiB max` : ''})`,
    '',
    mdTable(scenarioRows(r, true)),
    '',
    ...(smallRows(r, true)
      ? [
          `The search scenarios on the ${fmt(r.scenarios.find((s) => s.small)!.small!.patients)}-patient file, in the same run: its real server took turns with the servers above (the search-scaling target compares these):`,
          '',
          mdTable(smallRows(r, true)!),
          '',
        ]
      : []),
    ...(auditRows(r, true)
      ? [
          'Audit trail cost (`real` as shipped, every FHIR request durably on the audit trail before its answer leaves, vs the same server built with `auditFhir: false`, measured right after it):',
          '',
          mdTable(auditRows(r, true)!),
          '',
        ]
      : []),
    ...(r.auth
      ? [
          `Token endpoint (confidential demo client, grants of scope \`${r.auth.scope}\`):`,
          '',
          mdTable(tokenRows(r)!),
          '',
        ]
      : []),
  ].join('\n');
}

export function renderDoc(current: RunResult, all: RunResult[]): { markdown: string; console: string } {
  const sorted = [...all].sort((a, b) => a.params.patients - b.params.patients);
  const t = targets(sorted);
  const markdown = [
    '<!-- Generated by `npm run bench` (bench/run.ts, bench/report.ts): edit those and rerun, never this file. -->',
    '# Benchmarks',
    '',
    'Generated by `npm run bench` (`--patients N --seed S --duration SECONDS --rounds R --connections C`). Each run generates a',
    'deterministic synthetic population (cached in `bench/.work/`), imports it into a fresh SQLite file, then loads',
    'the servers below, each in its own child process; the load generator (autocannon) runs in the orchestrating',
    'process. Nothing is pinned to a core: on this 2-vCPU machine the server and the load generator each get about one.',
    '',
    '- **real**: `buildServerWithAuth` over the SQLite store, logging off, with a bench-only access resolver that',
    '  takes the patient from an `x-bench-patient` header and returns `patientAccess([id])`, one kept per patient',
    '  as the bearer resolver keeps one per token (no JWT cost is included: it measures the FHIR layer alone; it',
    '  hands the audit hook the claims a token would, so the audit rows are the usual size);',
    '- **real, Bearer** (the `read-bearer` row and the token endpoint): the server as deployed,',
    '  `buildServerWithAuth` without `resolveAccess` over the same SQLite file, with the demo apps seeded',
    '  (`seedDemoAuth`), so FHIR requests carry `Authorization: Bearer` access tokens checked by the real',
    '  resolver (`bearerAccessResolver`); its public URL is the address it listens on (the tokens\' audience);',
    '- **raw**: a plain `node:http` server answering each benchmark URL with the exact bytes and headers (content-type,',
    '  ETag, Last-Modified, the CORS ones) the real server gave for it, from memory: the ceiling for this machine and response size;',
    '- **unaudited** (the audit-cost table): the same real server (each access variant) built with',
    '  `auditFhir: false`, a benchmarks-only option that leaves out the FHIR audit hook. It runs the point read',
    '  (`x-bench-patient` and Bearer) and the vital-signs search in turns with the real server, on the same',
    '  requests (the Bearer one with its own 50 tokens, since a token\'s audience is its server\'s address).',
    '',
    'Both real servers are the product as shipped: every FHIR request is on the audit trail before its answer',
    'leaves. On SQLite that means appended to the server process\'s audit journal (records that arrive together',
    'share one `write`; once it returns the record survives a crash of the process, as a WAL commit with',
    '`synchronous = NORMAL` does), from which a worker thread with its own connection moves them into',
    '`audit_events` in the same SQLite file in large transactions (`src/store/sqlite/audit-journal.ts`). The',
    'worker\'s CPU is included: it runs in the server process, on the core the load generator also uses. Rate',
    'limits are off (`RATE_LIMIT_API=0`, `RATE_LIMIT_AUTH=0`), as all the load comes from one address. The audit',
    'cost is `1 − audited req/s ÷ unaudited req/s`; the target (issue 4) is at most 25 %. Each audited run is',
    'checked to have written at least one audit record per answer, the unaudited one none; `records/commit` is',
    'the mean number of records per journal append. Before and after each run the server\'s journal is settled',
    '(everything moved into the table), so no run inherits another\'s leftover work. With `--reuse-db` the audit',
    'rows of earlier runs stay in the file.',
    '',
    'The authorization scenarios use bench grants written straight through `AuthStore` (account `bench.user`,',
    'one grant per code or refresh token, spread over the 50 patients; earlier bench grants are deleted first),',
    'each of scope `openid fhirUser launch/patient offline_access patient/*.rs` for the confidential demo client:',
    '',
    '- **code exchange**: `POST token` with `grant_type=authorization_code`, HTTP Basic client authentication, the',
    '  redirect URI and a PKCE S256 verifier. Every request sends a different code (autocannon `setupRequest` takes',
    '  one from a queue; a reused code would be refused and revoke its grant). Codes are written just before the',
    '  run, valid for its length plus a minute. Each answer carries an RS256-signed access token, an RS256-signed',
    '  id_token (the scope has `openid`) and a new refresh token (`offline_access`, stored hashed). The client',
    '  secret is checked as a SHA-256 hash: there is no argon2 on this path.',
    '- **refresh**: `POST token` with `grant_type=refresh_token`, a different refresh token per request (each is',
    '  rotated as it is used); the answer carries the same: access token, id_token, new refresh token.',
    '- **read-bearer**: `GET Patient/{id}` with the access tokens of 50 code exchanges (one per patient), checked',
    '  beforehand to answer exactly the bytes the raw server serves for the same URL (raw ignores the header).',
    '  Token verification is included as the server does it: the RS256 signature is checked the first time a',
    '  token is seen and its claims cached; every request still parses the header, finds the token, checks',
    '  expiry and its grant\'s revocation state (re-read from the store at most every 500 ms per grant).',
    '',
    'The token endpoint has no baseline. Each token run\'s warm-up draws from a queue sized for 5,000/s; the',
    'measured run\'s queue (`values written`) holds three times what the warm-up rate predicts, and never less than',
    '5,000/s; a queue that runs dry fails the run rather than reuse a value.',
    '',
    '`other CPU` is the CPU (in cores, of 2) that processes outside the benchmark used while a scenario ran; the',
    'figures assume an otherwise idle machine, so rows with more than ~0.2 there are disturbed.',
    '',
    'The servers of a scenario take turns: `--rounds` times (5 by default) each gets `duration ÷ rounds` seconds,',
    'the order reversed every other round, and its figures are over all its turns. This machine\'s speed drifts by a',
    'quarter within seconds (the raw baseline alone was seen at 23k and then 41k req/s in consecutive runs), so',
    'servers measured one after the other were compared on different machines; taking turns, each samples the same',
    'moments. Every turn is checked on its own (no error answer, the audit counters as above). Even so the point',
    'reads\' real/raw ratios moved by about ten points between runs of the same code here: the real server is bound',
    'by its own core, the raw baseline by the load generator\'s and the loopback, and the host does not slow both',
    'vCPUs alike. Compare runs, not single figures.',
    '',
    'For the same reason a run over more than 1,000 patients also starts the real server over the 1,000-patient',
    'file (the one a 1k run left, or imported first) and lets it take turns in every search scenario: the',
    'search-scaling target divides the p95 at 10k by the p95 at 1k measured in the same moments. Results from',
    'before this was done are compared with the 1k run\'s own figures, and say "separate runs".',
    '',
    '`real/raw` is the ratio of requests per second. Latency percentiles are of the real server, measured by the',
    'load generator. Any non-2xx answer or socket error fails the run. Results per population size are kept in',
    '`bench/results/patients-<N>.json`.',
    '',
    '## Targets',
    '',
    mdTable([['target', 'goal', 'measured', 'verdict'], ...t.map((x) => [x.name, x.target, x.measured, x.verdict === 'pass' ? 'pass' : `**${x.verdict}**`])], 99),
    '',
    ...sorted.map(section),
  ].join('\n');

  const lines = [
    '',
    `${fmt(current.params.patients)} patients, ${fmt(current.population.resources)} resources, SQLite ${mb(current.population.dbBytes)}`,
    current.import ? `import: ${fmt(current.import.resources)} resources in ${current.import.seconds.toFixed(1)} s = ${fmt(current.import.perSecond)} resources/s` : 'import: not measured',
    `server RSS: ${current.idleRssMiB.toFixed(1)} MiB idle, ${current.maxRssMiB.toFixed(1)} MiB max under load`,
    '',
    textTable(scenarioRows(current, false)),
    '',
    ...(smallRows(current, false) ? ['the search scenarios on the smaller file, in turns with the above:', textTable(smallRows(current, false)!), ''] : []),
    ...(auditRows(current, false) ? ['audit trail cost (audited, as shipped, vs auditFhir: false):', textTable(auditRows(current, false)!), ''] : []),
    ...(current.auth ? [textTable(tokenRows(current)!), ''] : []),
    textTable([['target', 'goal', 'measured', 'verdict'], ...t.map((x) => [x.name.replace(/`/g, '').replace(/\\\|/g, '|'), x.target, x.measured, x.verdict])]),
  ];
  return { markdown, console: lines.join('\n') };
}

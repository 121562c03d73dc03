/**
 * @module client/html-summary
 * A one-page health summary a patient can read and print: name and birth date, active problems,
 * medications, allergies, immunizations, recent labs and vital signs with small inline SVG trend
 * charts. Self-contained (no scripts, no external files), every value escaped, semantic and accessible
 * (headings, captions, table headers, a text alternative for each chart), and printable.
 */
import type { FhirResource } from './fhir-reader.js';

type R = Record<string, any>;

const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const text = (cc: R | undefined): string => cc?.text ?? cc?.coding?.find((c: R) => c.display)?.display ?? cc?.coding?.[0]?.code ?? '';
const codes = (cc: R | undefined): string[] => (cc?.coding ?? []).map((c: R) => String(c.code));
const hasCode = (cc: R | undefined, code: string) => codes(cc).includes(code);
const dateOnly = (s: unknown): string => (typeof s === 'string' ? s.slice(0, 10) : '');
const niceDate = (s: unknown): string => {
  const d = dateOnly(s);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) return d;
  return new Date(`${d}T00:00:00Z`).toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
};
const when = (r: R): string => r.effectiveDateTime ?? r.effectivePeriod?.start ?? r.issued ?? r.occurrenceDateTime ?? r.recordedDate ?? r.authoredOn ?? r.onsetDateTime ?? r.meta?.lastUpdated ?? '';

function quantity(q: R | undefined): string {
  if (!q || q.value === undefined) return '';
  return `${q.value}${q.unit ?? q.code ? ' ' + (q.unit ?? q.code) : ''}`;
}

function observationValue(o: R): string {
  if (o.valueQuantity) return quantity(o.valueQuantity);
  if (o.valueCodeableConcept) return text(o.valueCodeableConcept);
  if (o.valueString !== undefined) return String(o.valueString);
  if (o.valueBoolean !== undefined) return o.valueBoolean ? 'yes' : 'no';
  if (o.valueInteger !== undefined) return String(o.valueInteger);
  if (Array.isArray(o.component)) {
    const sys = o.component.find((c: R) => hasCode(c.code, '8480-6'));
    const dia = o.component.find((c: R) => hasCode(c.code, '8462-4'));
    if (sys?.valueQuantity && dia?.valueQuantity) return `${sys.valueQuantity.value}/${dia.valueQuantity.value} ${sys.valueQuantity.unit ?? 'mmHg'}`;
    return o.component.map((c: R) => `${text(c.code)}: ${quantity(c.valueQuantity) || text(c.valueCodeableConcept)}`).join('; ');
  }
  return o.dataAbsentReason ? `(${text(o.dataAbsentReason)})` : '';
}

function range(r: R | undefined): string {
  if (!r) return '';
  if (r.text) return String(r.text);
  const lo = quantity(r.low);
  const hi = quantity(r.high);
  if (lo && hi) return `${lo} – ${hi}`;
  if (hi) return `up to ${hi}`;
  if (lo) return `at least ${lo}`;
  return '';
}

const isCategory = (r: R, code: string) => (r.category ?? []).some((c: R) => hasCode(c, code));

function patientName(p: R | undefined): string {
  const n = (p?.name ?? []).find((x: R) => x.use === 'official') ?? p?.name?.[0];
  if (!n) return 'Patient';
  return n.text ?? [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter(Boolean).join(' ');
}

function age(birthDate: string | undefined, now: Date): string {
  if (!birthDate || !/^\d{4}-\d{2}-\d{2}/.test(birthDate)) return '';
  const b = new Date(`${birthDate.slice(0, 10)}T00:00:00Z`);
  let years = now.getUTCFullYear() - b.getUTCFullYear();
  if (now.getUTCMonth() < b.getUTCMonth() || (now.getUTCMonth() === b.getUTCMonth() && now.getUTCDate() < b.getUTCDate())) years--;
  return years >= 0 ? `${years} years` : '';
}

function table(caption: string, headers: string[], rows: string[][], empty: string): string {
  if (!rows.length) return `<p class="empty">${esc(empty)}</p>`;
  return `<table><caption class="visually-hidden">${esc(caption)}</caption><thead><tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

interface Point {
  t: number;
  date: string;
  values: number[];
}

/** A small line chart (one or two series) with its data as a text alternative. */
export function trendChart(title: string, unit: string, points: Point[], seriesNames: string[]): string {
  const pts = [...points].sort((a, b) => a.t - b.t);
  const W = 320;
  const H = 120;
  const pad = { l: 40, r: 10, t: 10, b: 24 };
  const all = pts.flatMap((p) => p.values);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (lo === hi) (lo -= 1), (hi += 1);
  const span = hi - lo;
  lo -= span * 0.1;
  hi += span * 0.1;
  const t0 = pts[0].t;
  const t1 = pts[pts.length - 1].t;
  const x = (t: number) => pad.l + (t1 === t0 ? (W - pad.l - pad.r) / 2 : ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r));
  const y = (v: number) => pad.t + (1 - (v - lo) / (hi - lo)) * (H - pad.t - pad.b);
  const colours = ['#1f5fa8', '#b3261e'];
  const lines = seriesNames
    .map((_, s) => {
      const coords = pts.map((p) => `${x(p.t).toFixed(1)},${y(p.values[s]).toFixed(1)}`);
      const dots = pts.map((p) => `<circle cx="${x(p.t).toFixed(1)}" cy="${y(p.values[s]).toFixed(1)}" r="3" fill="${colours[s]}"/>`).join('');
      return `<polyline fill="none" stroke="${colours[s]}" stroke-width="2" points="${coords.join(' ')}"/>${dots}`;
    })
    .join('');
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));
  const desc = pts.map((p) => `${niceDate(p.date)}: ${p.values.map(fmt).join('/')} ${unit}`).join('; ');
  const id = 'c' + title.replace(/[^A-Za-z0-9]/g, '');
  return `<figure class="chart"><svg role="img" aria-labelledby="${id}-t ${id}-d" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-t">${esc(title)} over time</title><desc id="${id}-d">${esc(desc)}</desc>
<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#888"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="#888"/>
<text x="${pad.l - 4}" y="${y(hi - span * 0.1) + 4}" text-anchor="end" font-size="10">${esc(fmt(hi - span * 0.1))}</text>
<text x="${pad.l - 4}" y="${y(lo + span * 0.1) + 4}" text-anchor="end" font-size="10">${esc(fmt(lo + span * 0.1))}</text>
<text x="${pad.l}" y="${H - 6}" font-size="10">${esc(dateOnly(pts[0].date))}</text>
<text x="${W - pad.r}" y="${H - 6}" font-size="10" text-anchor="end">${esc(dateOnly(pts[pts.length - 1].date))}</text>
${lines}</svg><figcaption>${esc(title)} (${esc(unit)})${seriesNames.length > 1 ? ': ' + seriesNames.map((n, i) => `<span style="color:${colours[i]}">${esc(n)}</span>`).join(' / ') : ''}</figcaption></figure>`;
}

export interface SummaryOptions {
  /** "Today", for ages and the generated-at line (default now). */
  now?: Date;
  source?: string;
}

/** The HTML page for a downloaded record. */
export function renderHealthSummary(byType: Map<string, FhirResource[]> | Record<string, FhirResource[]>, o: SummaryOptions = {}): string {
  const get = (t: string): R[] => ((byType instanceof Map ? byType.get(t) : byType[t]) ?? []) as R[];
  const now = o.now ?? new Date();
  const patient = get('Patient')[0];
  const name = patientName(patient);
  const medsById = new Map(get('Medication').map((m) => [`Medication/${m.id}`, m]));

  const problems = get('Condition')
    .filter((c) => !c.clinicalStatus || hasCode(c.clinicalStatus, 'active') || hasCode(c.clinicalStatus, 'recurrence') || hasCode(c.clinicalStatus, 'relapse'))
    .filter((c) => !hasCode(c.verificationStatus, 'entered-in-error') && !hasCode(c.verificationStatus, 'refuted'))
    .sort((a, b) => String(b.onsetDateTime ?? b.recordedDate ?? '').localeCompare(String(a.onsetDateTime ?? a.recordedDate ?? '')))
    .map((c) => [text(c.code), niceDate(c.onsetDateTime ?? c.onsetPeriod?.start ?? c.recordedDate), isCategory(c, 'encounter-diagnosis') ? 'visit diagnosis' : isCategory(c, 'health-concern') ? 'health concern' : 'problem list']);

  const medName = (m: R) => text(m.medicationCodeableConcept) || text(medsById.get(m.medicationReference?.reference)?.code) || m.medicationReference?.display || 'Medication';
  const meds = get('MedicationRequest')
    .filter((m) => ['active', 'on-hold', undefined].includes(m.status))
    .map((m) => [medName(m), m.dosageInstruction?.[0]?.text ?? '', niceDate(m.authoredOn), m.status ?? '']);
  const allergies = get('AllergyIntolerance')
    .filter((a) => !hasCode(a.verificationStatus, 'entered-in-error') && !hasCode(a.verificationStatus, 'refuted'))
    .map((a) => [text(a.code), (a.reaction ?? []).flatMap((r: R) => (r.manifestation ?? []).map(text)).join(', '), a.criticality ?? '', hasCode(a.clinicalStatus, 'inactive') || hasCode(a.clinicalStatus, 'resolved') ? 'inactive' : 'active']);
  const immunizations = get('Immunization')
    .filter((i) => i.status !== 'entered-in-error')
    .sort((a, b) => String(b.occurrenceDateTime ?? '').localeCompare(String(a.occurrenceDateTime ?? '')))
    .map((i) => [text(i.vaccineCode), niceDate(i.occurrenceDateTime ?? i.occurrenceString), i.status === 'not-done' ? 'not given' : 'given']);

  const observations = get('Observation').filter((x) => x.status !== 'entered-in-error' && x.status !== 'cancelled');
  const recent = (list: R[], n: number) => [...list].sort((a, b) => String(when(b)).localeCompare(String(when(a)))).slice(0, n);
  const labs = recent(observations.filter((x) => isCategory(x, 'laboratory')), 12).map((x) => [
    text(x.code),
    observationValue(x),
    range(x.referenceRange?.[0]),
    text(x.interpretation?.[0]),
    niceDate(when(x)),
  ]);
  const vitalsAll = observations.filter((x) => isCategory(x, 'vital-signs') && !hasCode(x.code, '85353-1'));
  const vitals = recent(vitalsAll, 12).map((x) => [text(x.code), observationValue(x), niceDate(when(x))]);

  const series = (loinc: string): Point[] =>
    vitalsAll
      .filter((x) => hasCode(x.code, loinc) && typeof x.valueQuantity?.value === 'number' && when(x))
      .map((x) => ({ t: Date.parse(when(x)), date: when(x), values: [x.valueQuantity.value as number] }))
      .filter((p) => !Number.isNaN(p.t));
  const bp: Point[] = vitalsAll
    .filter((x) => hasCode(x.code, '85354-9') && when(x))
    .map((x) => {
      const s = x.component?.find((c: R) => hasCode(c.code, '8480-6'))?.valueQuantity?.value;
      const d = x.component?.find((c: R) => hasCode(c.code, '8462-4'))?.valueQuantity?.value;
      return { t: Date.parse(when(x)), date: when(x), values: [s, d] };
    })
    .filter((p) => typeof p.values[0] === 'number' && typeof p.values[1] === 'number' && !Number.isNaN(p.t));
  const unitOf = (loinc: string, fallback: string) => vitalsAll.find((x) => hasCode(x.code, loinc))?.valueQuantity?.unit ?? fallback;
  // Up to two trend charts, preferring series with at least two measurements.
  const candidates: { title: string; unit: string; points: Point[]; names: string[] }[] = [
    { title: 'Body weight', unit: unitOf('29463-7', 'kg'), points: series('29463-7'), names: ['weight'] },
    { title: 'Blood pressure', unit: 'mmHg', points: bp, names: ['systolic', 'diastolic'] },
    { title: 'Body height', unit: unitOf('8302-2', 'cm'), points: series('8302-2'), names: ['height'] },
    { title: 'Heart rate', unit: unitOf('8867-4', '/min'), points: series('8867-4'), names: ['heart rate'] },
  ];
  let chosen = candidates.filter((c) => c.points.length >= 2).slice(0, 2);
  if (!chosen.length) chosen = candidates.filter((c) => c.points.length === 1).slice(0, 1);
  const charts = chosen.map((c) => trendChart(c.title, c.unit, c.points, c.names));

  const birth = patient?.birthDate as string | undefined;
  const mrn = (patient?.identifier ?? [])[0]?.value;
  const header = [
    birth ? `Born ${niceDate(birth)}${age(birth, now) ? ` (${age(birth, now)})` : ''}` : '',
    patient?.gender ? `Sex: ${patient.gender}` : '',
    mrn ? `Chart no. ${mrn}` : '',
  ].filter(Boolean);

  const section = (id: string, title: string, body: string) => `<section aria-labelledby="${id}"><h2 id="${id}">${esc(title)}</h2>${body}</section>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Health summary — ${esc(name)}</title>
<style>
:root{color-scheme:light}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fff;max-width:52rem;margin:0 auto;padding:1.5rem}
header{border-bottom:3px solid #1f5fa8;margin-bottom:1rem}
h1{font-size:1.7rem;margin:0 0 .25rem}h2{font-size:1.15rem;color:#1f5fa8;border-bottom:1px solid #ccd;padding-bottom:.15rem;margin:1.4rem 0 .5rem}
.meta{color:#444;margin:0 0 .75rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e3ea;vertical-align:top}
thead th{background:#f2f5fa;font-weight:600}tbody th{font-weight:500}
.empty{color:#555;font-style:italic}.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{margin:0}.chart figcaption{font-size:.85rem;color:#333}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
footer{margin-top:2rem;color:#555;font-size:.85rem}
@media print{body{padding:0;font-size:12px}h2{break-after:avoid}table,figure{break-inside:avoid}a{color:inherit}}
</style>
</head>
<body>
<header><h1>${esc(name)}</h1><p class="meta">${header.map(esc).join(' · ')}</p></header>
<main>
${section('problems', 'Problems', table('Active problems', ['Problem', 'Since', 'Kind'], problems, 'No active problems recorded.'))}
${section('medications', 'Medications', table('Medications', ['Medication', 'How to take it', 'Prescribed', 'Status'], meds, 'No current medications recorded.'))}
${section('allergies', 'Allergies', table('Allergies and intolerances', ['Allergy', 'Reaction', 'Criticality', 'Status'], allergies, 'No known allergies recorded.'))}
${section('immunizations', 'Immunizations', table('Immunizations', ['Vaccine', 'Date', 'Status'], immunizations, 'No immunizations recorded.'))}
${section('labs', 'Recent lab results', table('Recent lab results', ['Test', 'Result', 'Normal range', 'Interpretation', 'Date'], labs, 'No lab results shared.'))}
${section('vitals', 'Vital signs', (charts.length ? `<div class="charts">${charts.join('')}</div>` : '') + table('Recent vital signs', ['Measurement', 'Value', 'Date'], vitals, 'No vital signs shared.'))}
</main>
<footer><p>Generated ${esc(now.toISOString().slice(0, 16).replace('T', ' '))} UTC${o.source ? ` from ${esc(o.source)}` : ''} by patient-access fetch. This summary shows what the practice shared with this app; ask your care team about anything that looks wrong.</p></footer>
</body>
</html>
`;
}

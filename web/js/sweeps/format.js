// Sweep results as text, byte for byte what the native CLI writes (src/cli/sweep_cmd.c):
//
//   resultLine(jobText, outcome)   one result line of `toymoe sweep` (job + status + summary + weights)
//   merge(lines, {jobsTotal})      `toymoe merge`: {json, csv} texts (mergeParts gives arrays of parts)
//   checkLine(text, expectedJobText, preset)   validate a stored line before trusting it
//   cfmt(v, precision)             C printf's %.<precision>g, correctly rounded, ties to even
//
// No DOM and no wasm: used by the sweep worker, the sweep page and the Node tests.

// ------------------------------------------------------------------ C's %g

// The exact decimal digits and exponent of a finite non-zero double (|v| = 0.d1d2... x 10^(exp+1)).
function exactDigits(v) {
  const s = Math.abs(v).toPrecision(100);  // exact for every double this lab prints (see cfmt)
  const [mant, ex] = s.split('e');
  const digits = mant.replace('.', '');
  const lead = digits.search(/[1-9]/);
  const point = mant.includes('.') ? mant.indexOf('.') : mant.length;
  return { digits: digits.slice(lead).replace(/0+$/, ''), exp: point - lead - 1 + (ex ? Number(ex) : 0) };
}

/**
 * printf("%.<P>g", v) as glibc and musl print it: round to P significant digits (ties to
 * even on the exact binary value), then fixed notation when -4 <= exponent < P, otherwise
 * d.ddde±XX; trailing zeros removed. Non-finite values print as C does: nan, inf, -inf.
 * (toPrecision(100) is exact for doubles whose expansion has at most 100 significant
 * digits: every float32 of magnitude above 1e-30, every loss and mean this lab prints.)
 */
export function cfmt(v, P) {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  let { digits, exp } = exactDigits(v);
  if (digits.length > P) {
    const tail = digits.slice(P), keep = digits.slice(0, P);
    const up = tail[0] > '5' || (tail[0] === '5' && (/[1-9]/.test(tail.slice(1)) || Number(keep[P - 1]) % 2 === 1));
    digits = keep;
    if (up) {
      const bumped = (BigInt(keep) + 1n).toString();
      if (bumped.length > P) exp++;  // 9.99 -> 10.0
      digits = bumped.slice(0, P);
    }
  }
  digits = digits.replace(/0+$/, '') || '0';
  const sign = v < 0 ? '-' : '';
  if (exp < -4 || exp >= P) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

// ------------------------------------------------------------------ one result line

const numList = (arr) => Array.from(arr, (v) => cfmt(v, 7)).join(',');

/**
 * The line `toymoe sweep` writes for one trained model.
 * @param {string} jobText lab.sweepJobJSON(...) for the job
 * @param {{status: 'ok'|'nonfinite', summary?: string, error?: string, weights: {W, b, router}}} outcome
 *   summary: model.sweepSummaryJSON(preset) (status ok); error: the C message (status nonfinite)
 */
export function resultLine(jobText, { status, summary = '', error = '', weights }) {
  const head = jobText.slice(0, jobText.lastIndexOf('}'));
  const body = status === 'ok'
    ? `,"status":"ok",${summary}`
    : `,"status":"nonfinite","error":${JSON.stringify(String(error))},"final_loss":null`;
  return `${head}${body},"weights":{"W":[${numList(weights.W)}],"b":[${numList(weights.b)}],"router":[${numList(weights.router)}]}}`;
}

// ------------------------------------------------------------------ the CLI's member scanner

// The first index after the JSON value starting at s[i] (sweep_cmd.c skip_value).
function skipValue(s, i) {
  if (s[i] === '"') {
    for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\' && i + 1 < s.length) i++;
    return i < s.length ? i + 1 : i;
  }
  if (s[i] === '{' || s[i] === '[') {
    let depth = 0;
    for (; i < s.length; i++) {
      if (s[i] === '"') { i = skipValue(s, i) - 1; continue; }
      if (s[i] === '{' || s[i] === '[') depth++;
      if ((s[i] === '}' || s[i] === ']') && --depth === 0) return i + 1;
    }
    return i;
  }
  while (i < s.length && s[i] !== ',' && s[i] !== '}' && s[i] !== ']') i++;
  return i;
}

/** Whether line is one whole JSON object: its outermost braces close at its last character
 * (sweep_cmd.c whole_object; a writer killed mid-line leaves them open). */
export function wholeObject(line) {
  let depth = 0;
  for (let i = line.indexOf('{'); i >= 0 && i < line.length; i++) {
    if (line[i] === '"') { i = skipValue(line, i) - 1; continue; }  // an open string runs to the end: false
    if (line[i] === '{' || line[i] === '[') depth++;
    if ((line[i] === '}' || line[i] === ']') && --depth === 0) return i === line.length - 1;
  }
  return false;
}

/** Top-level members of a one-line JSON object as [key, raw value text] (sweep_cmd.c members, cap 256). */
export function members(line, cap = 256) {
  const out = [];
  let i = line.indexOf('{');
  if (i < 0) return out;
  i++;
  while (i < line.length && line[i] !== '}' && out.length < cap) {
    while (line[i] === ',' || line[i] === ' ') i++;
    if (line[i] !== '"') break;
    const end = skipValue(line, i);
    const key = line.slice(i + 1, end - 1);
    i = end;
    if (line[i++] !== ':') break;
    const v = i;
    i = skipValue(line, i);
    out.push([key, line.slice(v, i)]);
  }
  return out;
}

const strtol = (text) => { const m = /^\s*[+-]?\d+/.exec(text ?? ''); return m ? Number(m[0]) : null; };

// ------------------------------------------------------------------ merge

/**
 * `toymoe merge` of result lines: the JSON {"preset","fidelity","jobs_total","models_done",
 * "models":[lines sorted by job],"cells":[per cell: runs, mean_final_loss, the scalar members of
 * the best run]} and the CSV of the cells, as arrays of text parts (for a Blob).
 * One deliberate difference: a cell whose runs all failed has mean_final_loss null in the JSON
 * (C prints a bare nan there, which is not JSON); the CSV says nan like C.
 * @param {string[]} lines result lines (any order; a job given twice counts once)
 * @param {{jobsTotal: number}} opts jobsTotal = lab.sweepJobs(preset, fidelity)
 * Throws when the lines are of more than one sweep (preset and fidelity), as the CLI exits 2.
 */
export function mergeParts(lines, { jobsTotal }) {
  const rs = [];
  let preset = null, fidelity = null;
  for (const line of lines) {
    const ms = members(line);
    const get = (k) => ms.find(([key]) => key === k)?.[1];
    const job = get('job'), p = get('preset'), fi = get('fidelity');
    if (job === undefined || p === undefined || fi === undefined) continue;
    if (preset === null) { preset = p.slice(1, -1).slice(0, 31); fidelity = fi.slice(1, -1).slice(0, 31); }
    else if (p !== `"${preset}"` || fi !== `"${fidelity}"`) {
      // one merge is one sweep (the CLI refuses too): fidelities differ in protocol or data stream
      throw new Error(`merge: a result of another sweep (${p.slice(0, 40)} ${fi.slice(0, 40)}, not ${preset} ${fidelity})`);
    }
    const loss = get('final_loss');
    rs.push({ job: strtol(job) ?? -1, cell: strtol(get('cell')) ?? -1, loss: loss !== undefined && loss[0] !== 'n' ? parseFloat(loss) : Infinity, line });
  }
  rs.sort((a, b) => a.job - b.job);
  const uniq = rs.filter((r, i) => i === 0 || rs[i - 1].job !== r.job);
  const json = [`{"preset":"${preset ?? ''}","fidelity":"${fidelity ?? ''}","jobs_total":${jobsTotal},"models_done":${uniq.length},"models":[\n`];
  uniq.forEach((r, i) => json.push(`${r.line}${i + 1 < uniq.length ? ',' : ''}\n`));
  json.push('],"cells":[\n');
  const cells = [];
  for (let i = 0; i < uniq.length;) {
    let j = i, best = i, sum = 0, finite = 0;
    for (; j < uniq.length && uniq[j].cell === uniq[i].cell; j++) {
      if (uniq[j].loss < uniq[best].loss) best = j;
      if (Number.isFinite(uniq[j].loss)) { sum += uniq[j].loss; finite++; }
    }
    const mean = finite ? sum / finite : NaN;
    const scalars = members(uniq[best].line).filter(([, v]) => v[0] !== '{' && v[0] !== '[');
    json.push(`{"runs":${j - i},"mean_final_loss":${finite ? cfmt(mean, 9) : 'null'}${scalars.map(([k, v]) => `,"${k}":${v}`).join('')}}${j < uniq.length ? ',' : ''}\n`);
    cells.push({ runs: j - i, mean, scalars });
    i = j;
  }
  json.push(']}\n');
  // The CSV's columns: every scalar member of any cell's best run, in order of first appearance
  // (architectures with more experts have more per-expert members, a failed run has others);
  // a cell without one leaves it empty (sweep_cmd.c write_cells_csv).
  const columns = [...new Set(cells.flatMap((c) => c.scalars.map(([k]) => k)))];
  const csv = cells.length ? [`runs,mean_final_loss${columns.map((k) => `,${k}`).join('')}\n`] : [];
  for (const c of cells) {
    const value = new Map(c.scalars);
    csv.push(`${c.runs},${cfmt(c.mean, 9)}${columns.map((k) => `,${csvField(value.get(k))}`).join('')}\n`);
  }
  return { json, csv };
}

// A CSV field from a JSON scalar's text: a string without its quotes (its escapes as they are),
// quoted when it holds a comma or a quote (RFC 4180); '' for a missing member.
function csvField(v) {
  if (v === undefined) return '';
  if (v[0] !== '"') return v;
  const s = v.slice(1, -1);
  return /[,"]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** merge() with the parts joined: {json: string, csv: string}. */
export function merge(lines, opts) {
  const { json, csv } = mergeParts(lines, opts);
  return { json: json.join(''), csv: csv.join('') };
}

// ------------------------------------------------------------------ validation of stored lines

export const MAX_LINE_CHARS = 4 * 1024 * 1024;
const SUMMARY_KEYS = ['final_loss', 'eval_loss', 'steps_done', 'fpd', 'total_capacity'];
const EXPERT_KEYS = { fig4: ['norm', 'score', 'super', 'gate'], table1: ['mono', 'usage', 'clamped', 'only'] };

const FLOAT_MAX = 3.40282347e38;  // the float32 maximum as sweep.c prints it (%.9g), a hair above its value
const finiteArray = (a, len) => Array.isArray(a) && a.length === len && a.every((v) => typeof v === 'number' && Number.isFinite(v));

/**
 * Parse and check a result line read from storage (or any untrusted place).
 * expectedJobText = lab.sweepJobJSON(preset, fidelity, job): the line must extend exactly
 * that job (so results of an older plan are refused), then carry a status, a complete
 * summary of finite numbers (ok) or an error (nonfinite), and weights of the config's sizes.
 * @returns {{ok: true, result: object} | {ok: false, why: string}}
 */
export function checkLine(text, expectedJobText, preset) {
  const bad = (why) => ({ ok: false, why });
  if (typeof text !== 'string' || text.length > MAX_LINE_CHARS) return bad('not a string of at most 4 MiB');
  const head = expectedJobText.slice(0, expectedJobText.lastIndexOf('}'));
  if (!text.startsWith(`${head},"status":`)) return bad('not a result of this job in the current plan');
  let r;
  try { r = JSON.parse(text); } catch { return bad('not valid JSON'); }
  if (!r || typeof r !== 'object' || Array.isArray(r)) return bad('not an object');
  // A later duplicate key would override the job's fields when parsed: they must still be the job's.
  const job = JSON.parse(expectedJobText);
  for (const [k, v] of Object.entries(job)) if (JSON.stringify(r[k]) !== JSON.stringify(v)) return bad(`${k} is not the job's`);
  const { n, m, experts: E = 1 } = r.config;
  const w = r.weights;
  if (!w || typeof w !== 'object' || !finiteArray(w.W, E * n * m) || !finiteArray(w.b, E * n) || !finiteArray(w.router, E * n)) {
    return bad('weights missing, of the wrong size or not finite');
  }
  if (r.status === 'nonfinite') {
    return typeof r.error === 'string' && r.final_loss === null ? { ok: true, result: r } : bad('a failed run without its error');
  }
  if (r.status !== 'ok') return bad('status is neither ok nor nonfinite');
  const keys = [...SUMMARY_KEYS];
  for (let e = 0; e < E; e++) for (const k of EXPERT_KEYS[preset] ?? []) keys.push(`${k}_e${e}`);
  if (preset === 'table1') keys.push('experts_mono_ge2');
  for (const k of keys) if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) return bad(`${k} missing or not finite`);
  // every summary number is a float32 count, norm, sum of squares or loss, or a usage share
  // (only_e*: -1 for an expert without monosemantic features): anything else was not written
  // by the sweep (a chart scaled to 1e308 says nothing)
  for (const k of keys) {
    const [lo, hi] = /^(usage|clamped|only)_e/.test(k) ? [k.startsWith('only') ? -1 : 0, 1] : [0, FLOAT_MAX];
    if (!(r[k] >= lo && r[k] <= hi)) return bad(`${k} is not in [${lo}, ${hi === 1 ? 1 : '3.4e38'}]`);
  }
  if (!Number.isInteger(r.steps_done) || r.steps_done !== r.config.steps) return bad('steps_done is not the planned steps');
  return { ok: true, result: r };
}

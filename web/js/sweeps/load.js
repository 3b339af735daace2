// Result files made elsewhere, read into the sweep page: the .jsonl files `toymoe sweep
// --out` writes (one result line per job, any shard, torn lines allowed) and the JSON
// of `toymoe merge` or of this page's export (one model line per line between `"models":[`
// and `],"cells":[`).
//
//   peekSweep(file)                 {preset, fidelity} of the file's first result, or null
//   fileLines(file, onProgress)     async iterator of batches of {no, text, last} (streamed)
//   LineReader                      the line-by-line state machine of both formats
//   resultOf(text, sweep)           {job} of a candidate line, or {why} (before checkLine)
//
// No DOM and no wasm. Everything read here is untrusted: the page validates every line with
// format.js checkLine, exactly like a stored record, before storing or drawing it.
import { members, MAX_LINE_CHARS } from './format.js';

const PEEK_BYTES = 256 * 1024;

// The string value of a member's raw JSON text, when it is a plain string (else null).
const str = (raw) => (typeof raw === 'string' && /^"[^"\\]{0,63}"$/.test(raw) ? raw.slice(1, -1) : null);

/** preset and fidelity named by one line (a result line or a merge header), or null. */
export function sweepOf(text) {
  if (typeof text !== 'string' || text[0] !== '{') return null;
  const ms = members(text.length > 4096 ? text.slice(0, 4096) : text, 8);
  const get = (k) => str(ms.find(([key]) => key === k)?.[1]);
  const preset = get('preset'), fidelity = get('fidelity');
  return preset && fidelity ? { preset, fidelity } : null;
}

/** The sweep of a file: that of its first line that names one (read from its first 256 KiB). */
export async function peekSweep(file) {
  const head = await file.slice(0, PEEK_BYTES).text();
  for (const line of head.split('\n')) {
    const s = sweepOf(line.trim());
    if (s) return s;
  }
  return null;
}

/**
 * Turns a file's lines into candidate result lines: {no, text} for each, or {no, skip: true}
 * for lines that are part of a merge file's frame (header, cells) or blank.
 */
export class LineReader {
  constructor() { this.mode = 'start'; }

  /** One line (without its newline). */
  take(no, raw) {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!text.trim()) return { no, skip: true };
    if (this.mode === 'start') {
      // A merge file starts {"preset":...,"models":[ on a line of its own.
      if (text.startsWith('{"preset":') && text.endsWith('"models":[')) { this.mode = 'models'; return { no, skip: true }; }
      this.mode = 'lines';
    }
    if (this.mode === 'models') {
      if (text === '],"cells":[') { this.mode = 'cells'; return { no, skip: true }; }
      return { no, text: text.endsWith(',') ? text.slice(0, -1) : text };
    }
    if (this.mode === 'cells') return { no, skip: true };
    return { no, text };
  }
}

/**
 * The lines of a file, streamed (never the whole file in memory): yields arrays of
 * {no, text, last} (no: 1-based line number; last: the file's last line, without a final
 * newline, i.e. possibly torn by a killed writer). onProgress(bytesRead, size) after each chunk.
 */
export async function* fileLines(file, onProgress = () => {}) {
  const reader = file.stream().getReader();
  const decoder = new TextDecoder('utf-8');
  let rest = '', no = 0, bytes = 0, batch = [];
  const drain = () => {
    let start = 0;
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n', start)) {
      batch.push({ no: ++no, text: rest.slice(start, nl), last: false });
      start = nl + 1;
    }
    rest = rest.slice(start);
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      rest += decoder.decode(value, { stream: true });
      drain();
      if (rest.length > MAX_LINE_CHARS + 16) {  // a line beyond any result's size: report it, skip to its end
        batch.push({ no: ++no, text: rest.slice(0, MAX_LINE_CHARS + 1), last: false });
        rest = '';
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          bytes += r.value.byteLength;
          const t = decoder.decode(r.value, { stream: true });
          const nl = t.indexOf('\n');
          if (nl >= 0) { rest = t.slice(nl + 1); drain(); break; }
        }
      }
      onProgress(bytes, file.size);
      if (batch.length) { yield batch; batch = []; }
    }
    rest += decoder.decode();
    drain();
    if (rest.length) batch.push({ no: ++no, text: rest, last: true });
    if (batch.length) yield batch;
  } finally {
    reader.releaseLock();
  }
}

/**
 * First checks of a candidate line against the target sweep {preset, fidelity, total}:
 * {job} when it names a job of that sweep (checkLine decides the rest), else {why}.
 * Reasons never quote the file's text (the page shows them as plain text anyway).
 */
export function resultOf(text, sweep) {
  if (text.length > MAX_LINE_CHARS) return { why: 'longer than any result line (4 MiB)' };
  if (text[0] !== '{' || !text.endsWith('}')) return { why: 'not a JSON object on one line' };
  const ms = members(text, 16);
  const get = (k) => ms.find(([key]) => key === k)?.[1];
  const preset = str(get('preset')), fidelity = str(get('fidelity'));
  if (!preset || !fidelity) return { why: 'no preset and fidelity (not a result line of toymoe sweep)' };
  if (preset !== sweep.preset || fidelity !== sweep.fidelity) {
    const name = /^[a-z0-9]{1,12}$/.test(preset) && /^[a-z0-9]{1,8}(-xoshiro)?$/.test(fidelity) ? `a ${preset} ${fidelity} result` : 'a result of another sweep';
    return { why: `${name}, not ${sweep.preset} ${sweep.fidelity}` };
  }
  const job = get('job');
  if (!/^\d{1,9}$/.test(job ?? '')) return { why: 'job is not a number' };
  const j = Number(job);
  if (j >= sweep.total) return { why: `job ${j} is not in this sweep (${sweep.total} jobs)` };
  return { job: j };
}

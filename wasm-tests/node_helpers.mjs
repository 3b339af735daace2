// Shared by the node --test suites: where the native CLI is, and running it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
// ctest sets TOYMOE_CLI; by hand the default build tree is used.
export const CLI = process.env.TOYMOE_CLI ?? join(REPO, 'build', 'toymoe');
export const HAVE_CLI = existsSync(CLI);

/** Run the native CLI and parse its JSON stdout; a failure shows its stderr. */
export function runCli(args) {
  try {
    return JSON.parse(execFileSync(CLI, args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (e) {
    throw new Error(`${CLI} ${args.join(' ')} failed: ${String(e.stderr || e.message).slice(-600)}`);
  }
}

/** fn(dir) with a fresh temp directory, removed afterwards. */
export function withTempDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'toymoe-'));
  try { return fn(dir, (name, value) => { const p = join(dir, name); writeFileSync(p, JSON.stringify(value)); return p; }); }
  finally { rmSync(dir, { recursive: true, force: true }); }
}

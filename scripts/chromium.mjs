// Headless Chromium (Debian's, driven by playwright-core) for the browser tests, the
// benchmark and scripts/repro-images.mjs: one fresh profile per launch, optionally with
// a directory served on 127.0.0.1 by scripts/static-server.mjs.
//   import { launchChromium, HAVE_CHROMIUM } from './chromium.mjs';
//   const { context, server, close } = await launchChromium({ root, viewport: { width: 1280, height: 900 } });
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './static-server.mjs';

export const CHROMIUM = process.env.TOYMOE_CHROMIUM || '/usr/bin/chromium';
export const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
/** false when Chromium is there, else why not: a node:test `skip` value or an error message. */
export const NO_CHROMIUM = HAVE_CHROMIUM ? false : `no Chromium at ${CHROMIUM} (set TOYMOE_CHROMIUM)`;

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Launch headless Chromium with a temporary profile.
 * @param {{root?: string, viewport?: {width: number, height: number}, acceptDownloads?: boolean, prefix?: string}} [o]
 *   root: a directory to serve first (server is null without it); viewport and acceptDownloads
 *   go to launchPersistentContext (Playwright's defaults when left out); prefix names the profile dir.
 * @returns {Promise<{context: import('playwright-core').BrowserContext, server: {url: string, close(): Promise<void>} | null, close(): Promise<void>}>}
 *   close() closes the browser and the server and removes the profile.
 */
export async function launchChromium({ root, viewport, acceptDownloads, prefix = 'toymoe-chromium-' } = {}) {
  const server = root ? await startServer({ root, port: 0 }) : null;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  let context;
  const close = async () => {
    await context?.close();
    await server?.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      ...(viewport && { viewport }),
      ...(acceptDownloads !== undefined && { acceptDownloads }),
      args: ARGS,
    });
  } catch (err) {
    await close();
    throw err;
  }
  return { context, server, close };
}

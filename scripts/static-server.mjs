#!/usr/bin/env node
// Zero-dependency static file server for the toymoe lab (binds 127.0.0.1 only).
//
// CLI:    node scripts/static-server.mjs [--root DIR] [--port N] [--strict-port]
//         Prints the URL as the first line of stdout. --port 0 picks a free port;
//         a busy port falls back to a free one unless --strict-port is given.
// Import: import { startServer } from './static-server.mjs';
//         const { url, port, close } = await startServer({ root, port: 0 });
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HOST = '127.0.0.1';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_ROOT = path.join(REPO_ROOT, 'web');
export const DEFAULT_PORT = 8420;

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.woff2': 'font/woff2',
  '.bin': 'application/octet-stream',
};

function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-cache',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function makeHandler(root) {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    }
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      return send(res, 400, 'bad request\n');
    }
    if (pathname.includes('\0')) return send(res, 400, 'bad request\n');

    // Resolve against root and refuse anything that escapes it (../, encoded %2e%2e, absolute, ...).
    let file = path.resolve(root, '.' + path.posix.normalize('/' + pathname));
    if (file !== root && !file.startsWith(root + path.sep)) return send(res, 403, 'forbidden\n');

    let st;
    try {
      st = fs.statSync(file);
      if (st.isDirectory()) {
        if (!pathname.endsWith('/')) {
          // /sub -> /sub/ so relative URLs inside sub/index.html work
          const u = new URL(req.url, 'http://localhost');
          return send(res, 301, 'moved\n', { Location: u.pathname + '/' + u.search });
        }
        file = path.join(file, 'index.html');
        st = fs.statSync(file);
      }
      if (!st.isFile()) throw new Error('not a file');
    } catch {
      return send(res, 404, `not found: ${pathname}\n`);
    }

    res.writeHead(200, {
      'Content-Type': MIME[path.extname(file).toLowerCase()] || 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': 'no-cache',
      'Last-Modified': st.mtime.toUTCString(),
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    const stream = fs.createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    const onError = (err) => { server.off('listening', onListening); reject(err); };
    const onListening = () => { server.off('error', onError); resolve(); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, HOST);
  });
}

/**
 * Start serving `root` on 127.0.0.1.
 * @param {{root?: string, port?: number, fallback?: boolean}} opts
 *   port 0 (the default) picks a free port; fallback (default true) retries on a free port
 *   when the requested one is in use.
 * @returns {Promise<{url: string, port: number, root: string, server: http.Server, close: () => Promise<void>}>}
 */
export async function startServer({ root = DEFAULT_ROOT, port = 0, fallback = true } = {}) {
  root = path.resolve(root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new Error(`static-server: root is not a directory: ${root}`);
  }
  const server = http.createServer(makeHandler(root));
  try {
    await listen(server, Number(port) || 0);
  } catch (err) {
    if (err.code !== 'EADDRINUSE' || !fallback || !port) throw err;
    process.stderr.write(`static-server: port ${port} is busy, using a free port\n`);
    await listen(server, 0);
  }
  const actual = server.address().port;
  const url = `http://${HOST}:${actual}/`;
  const close = () => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
  return { url, port: actual, root, server, close };
}

function parseArgs(argv) {
  const opts = { root: DEFAULT_ROOT, port: DEFAULT_PORT, fallback: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
      if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`);
      return argv[++i];
    };
    if (a === '--root' || a.startsWith('--root=')) opts.root = path.resolve(val());
    else if (a === '--port' || a.startsWith('--port=')) {
      const v = val();
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`bad --port: ${v}`);
      opts.port = Number(v);
    } else if (a === '--strict-port') opts.fallback = false;
    else if (a === '-h' || a === '--help') {
      console.log('usage: static-server.mjs [--root DIR] [--port N (0 = free port)] [--strict-port]');
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  }
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`static-server: ${err.message}`);
    process.exit(2);
  }
  const srv = await startServer(opts);
  process.stdout.write(srv.url + '\n');
  process.stderr.write(`static-server: serving ${srv.root}\n`);
  const stop = () => srv.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const invokedPath = process.argv[1] ? (() => {
  try { return pathToFileURL(fs.realpathSync(process.argv[1])).href; } catch { return ''; }
})() : '';
if (invokedPath === import.meta.url) {
  main().catch((err) => {
    console.error(`static-server: ${err.message}`);
    process.exit(1);
  });
}

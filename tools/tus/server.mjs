// A real tus 1.0 server for booth's sync tests, benchmark and `make demo`.
//
//   node server.mjs --port 1080 --dir DIR [--token-file FILE] [--checksum] [--faults]
//
// @tus/server with @tus/file-store (versions locked in package-lock.json) stores uploads in DIR
// (`<id>` holds the bytes, `<id>.json` the length, offset and metadata) at /files/.
//
// --checksum adds the tus checksum extension, which @tus/server does not implement: OPTIONS
// offers sha1, and a PATCH that carries Upload-Checksum is read whole, verified, and either
// answered 460 (nothing stored, as the extension requires) or handed to @tus/server.
// --token-file makes every request but OPTIONS need `Authorization: Bearer <token>` (else 401).
// --faults opens a control endpoint for tests to inject faults into the next requests:
//   POST /_test/faults  [{"kind": "status", "code": 500, "method": "PATCH", "count": 2},
//                        {"kind": "reset", "method": "PATCH", "after_bytes": 1000},
//                        {"kind": "slow", "method": "HEAD", "delay_ms": 3000},
//                        {"kind": "corrupt", "method": "PATCH"}]   (method optional: any)
//   GET  /_test/log     every request seen: [{method, path, status, bytes}]
// It prints "listening on http://127.0.0.1:PORT/files/" once it accepts connections.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Readable, Transform } from 'node:stream';
import { parseArgs } from 'node:util';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string' },
    'token-file': { type: 'string' },
    checksum: { type: 'boolean', default: false },
    faults: { type: 'boolean', default: false },
  },
});
if (!opts.port || !opts.dir) {
  console.error('usage: node server.mjs --port PORT --dir DIR [--token-file FILE] [--checksum] [--faults]');
  process.exit(2);
}

const token = opts['token-file'] ? readFileSync(opts['token-file'], 'utf8').trim() : null;
const tus = new Server({ path: '/files', datastore: new FileStore({ directory: opts.dir }) });
const faults = [];
const log = [];

function takeFault(method) {
  const i = faults.findIndex((f) => !f.method || f.method === method);
  if (i < 0) return null;
  const fault = faults[i];
  fault.count = (fault.count ?? 1) - 1;
  if (fault.count <= 0) faults.splice(i, 1);
  return fault;
}

function readBody(req, limit = Infinity) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let size = 0;
    req.on('data', (part) => {
      parts.push(part);
      size += part.length;
      if (size >= limit) resolve(Buffer.concat(parts));
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

async function sendWeb(res, response) {
  const headers = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

function answer(res, status, body, headers = {}) {
  res.writeHead(status, { 'Tus-Resumable': '1.0.0', 'Content-Type': 'text/plain', ...headers });
  res.end(body);
}

async function handle(req, res) {
  const path = new URL(req.url, 'http://x').pathname;
  if (opts.faults && path.startsWith('/_test/')) {
    if (req.method === 'POST' && path === '/_test/faults') {
      faults.push(...JSON.parse((await readBody(req)).toString('utf8')));
      return answer(res, 204, '');
    }
    if (path === '/_test/log') return answer(res, 200, JSON.stringify(log));
    return answer(res, 404, 'no such control\n');
  }
  const entry = { method: req.method, path, status: 0, bytes: 0 };
  log.push(entry);
  res.on('finish', () => {
    entry.status = res.statusCode;
  });
  if (token !== null && req.method !== 'OPTIONS' && req.headers.authorization !== `Bearer ${token}`) {
    return answer(res, 401, 'wrong or missing bearer token\n');
  }
  const fault = opts.faults ? takeFault(req.method) : null;
  if (fault?.kind === 'status') return answer(res, fault.code, `injected ${fault.code}\n`);
  if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delay_ms));
  if (fault?.kind === 'reset') {
    const got = await readBody(req, fault.after_bytes ?? 0);
    entry.bytes = got.length;
    req.socket.resetAndDestroy();
    return;
  }
  if (req.method === 'OPTIONS' && opts.checksum) {
    const response = await tus.handleWeb(new Request(`http://${req.headers.host}${req.url}`, { method: 'OPTIONS' }));
    const headers = new Headers(response.headers);
    headers.set('Tus-Extension', `${headers.get('Tus-Extension') ?? ''},checksum`.replace(/^,/, ''));
    headers.set('Tus-Checksum-Algorithm', 'sha1');
    return sendWeb(res, new Response(null, { status: response.status, headers }));
  }
  if (req.method === 'PATCH' && opts.checksum && req.headers['upload-checksum']) {
    const [algorithm, expected] = req.headers['upload-checksum'].split(' ');
    const body = await readBody(req);
    entry.bytes = body.length;
    if (algorithm !== 'sha1') return answer(res, 400, 'unsupported checksum algorithm\n');
    if (fault?.kind === 'corrupt' && body.length > 0) body[body.length >> 1] ^= 0xff;
    if (createHash('sha1').update(body).digest('base64') !== expected) {
      return answer(res, 460, 'Checksum Mismatch\n');
    }
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: 'PATCH',
      headers: req.headers,
      body,
      duplex: 'half',
    });
    return sendWeb(res, await tus.handleWeb(request));
  }
  if (req.method !== 'PATCH') return tus.handle(req, res);
  // Count the body on its way to @tus/server (a 'data' listener on req itself would switch
  // it to flowing mode and drop bytes before the server reads them).
  const counter = new Transform({
    transform(part, _encoding, done) {
      entry.bytes += part.length;
      done(null, part);
    },
  });
  req.on('aborted', () => counter.destroy(new Error('client went away')));
  req.pipe(counter);
  const request = new Request(`http://${req.headers.host}${req.url}`, {
    method: 'PATCH',
    headers: req.headers,
    body: Readable.toWeb(counter),
    duplex: 'half',
  });
  return sendWeb(res, await tus.handleWeb(request));
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(error);
    if (!res.headersSent) answer(res, 500, 'test server error\n');
    else res.destroy();
  });
});
server.listen(Number(opts.port), opts.host, () => {
  console.log(`listening on http://${opts.host}:${server.address().port}/files/`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));

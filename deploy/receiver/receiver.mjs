// The reference receiver of booth uploads: @tus/server with @tus/s3-store on any S3-compatible
// object store, checking every file before it answers "finished".
//
//   node receiver.mjs          (settings from the environment: see settings.mjs, README.md)
//
// What it adds to @tus/server, and where:
// - who may upload (`authorize`): every request but OPTIONS carries a booth's bearer token; a
//   new upload's `booth` metadata must be that token's booth; an upload's URL carries the
//   fingerprint of the token that created it and answers only to that token;
// - verify before "finished" (`finish`, @tus/server's onUploadFinish hook): when the last byte
//   is stored, the object is read back from the store and its sha256 compared with the upload's
//   `sha256` metadata; only a match answers the final PATCH 204. A mismatch moves the object to
//   quarantine/ and answers 422 (DAMAGED), which the booth takes as "start this file again";
// - sessions (`assemble`): a verified file is copied to sessions/<booth>/<session>/<file>; when
//   a session's manifest and every file it lists are there, receipt.json is written;
// - restarts: nothing of this is held only in memory. A HEAD on a finished upload whose object
//   is still waiting at uploads/ verifies it first, and at start every such upload is verified
//   and every session without a receipt assembled again (`recover`).

import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3 } from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import { Server } from '@tus/server';
import { Metadata } from '@tus/utils';
import { Metrics } from './metrics.mjs';
import { loadSettings, SettingsError } from './settings.mjs';

// The answer to a final PATCH whose stored object is not the bytes the booth described.
// @tus/server itself never answers 422; the booth restarts the file from zero on it.
export const DAMAGED = 422;
const UPLOADS = 'uploads/';
const SEGMENT = /^([0-9a-f]{16})-([0-9a-f]{32})$/;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const SHA256 = /^[0-9a-f]{64}$/;

let settings;
try {
  settings = loadSettings(process.env);
} catch (err) {
  if (!(err instanceof SettingsError)) throw err;
  console.error(`receiver: ${err.message}`);
  process.exit(2);
}

// AWS SDK v3 adds CRC32 trailers to uploads (aws-chunked) by default since 2025; Swift's s3api,
// MinIO before 2025 and others refuse them. Checksums only where the S3 API requires them: the
// receiver checks every finished object's sha256 itself.
const s3Config = {
  endpoint: settings.s3.endpoint,
  region: settings.s3.region,
  forcePathStyle: settings.s3.pathStyle,
  credentials: { accessKeyId: settings.s3.accessKeyId, secretAccessKey: settings.s3.secretAccessKey },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
};
const s3 = new S3(s3Config);
const bucket = settings.s3.bucket;
const metrics = new Metrics();
const fingerprint = (token) => createHash('sha256').update(token).digest('hex').slice(0, 16);
const byFingerprint = new Map([...settings.tokens].map(([token, booth]) => [fingerprint(token), booth]));

// -- who may upload ------------------------------------------------------------------------------

function bearer(headers) {
  const value = headers.authorization ?? headers.get?.('authorization') ?? '';
  const m = /^Bearer (\S+)$/.exec(value);
  return m && settings.tokens.has(m[1]) ? m[1] : null;
}

function refuse(res, status, why) {
  res.writeHead(status, { 'Tus-Resumable': '1.0.0', 'Content-Type': 'text/plain' });
  res.end(`${why}\n`);
}

/** Whether the request may go on to @tus/server; answers 400/401/403 itself when not. */
function authorize(req, res, segment) {
  if (req.method === 'OPTIONS') return true;
  const token = bearer(req.headers);
  if (token === null) {
    refuse(res, 401, 'a booth token is needed (Authorization: Bearer <token>)');
    return false;
  }
  const booth = settings.tokens.get(token);
  if (req.method === 'POST' && segment === '') {
    let metadata;
    try {
      metadata = Metadata.parse(req.headers['upload-metadata'] ?? undefined) ?? {};
    } catch {
      refuse(res, 400, 'Upload-Metadata cannot be read');
      return false;
    }
    if (metadata.booth !== booth) {
      refuse(res, 403, `this token is booth ${booth}'s; the upload says booth ${metadata.booth ?? '(none)'}`);
      return false;
    }
    for (const key of ['session', 'filename']) {
      if (!SAFE_NAME.test(metadata[key] ?? '')) {
        refuse(res, 400, `metadata ${key} is missing or not a plain name`);
        return false;
      }
    }
    if (!SHA256.test(metadata.sha256 ?? '')) {
      refuse(res, 400, 'metadata sha256 is missing or not 64 hex digits: the upload could not be verified');
      return false;
    }
    return true;
  }
  const m = SEGMENT.exec(segment);
  if (!m) {
    refuse(res, 404, 'no such upload');
    return false;
  }
  if (m[1] !== fingerprint(token)) {
    refuse(res, 403, 'this upload was created with another token');
    return false;
  }
  return true;
}

// -- the object store ----------------------------------------------------------------------------

async function exists(key) {
  try {
    return await s3.headObject({ Bucket: bucket, Key: key });
  } catch (err) {
    if (err?.$metadata?.httpStatusCode === 404) return null;
    throw err;
  }
}

async function readJson(key) {
  const { Body } = await s3.getObject({ Bucket: bucket, Key: key });
  return JSON.parse(await Body.transformToString());
}

async function sha256Of(key) {
  const { Body } = await s3.getObject({ Bucket: bucket, Key: key });
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const piece of Body) {
    hash.update(piece);
    bytes += piece.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function move(from, to, meta) {
  await s3.copyObject({
    Bucket: bucket,
    Key: to,
    CopySource: `${bucket}/${encodeURIComponent(from).replace(/%2F/g, '/')}`,
    MetadataDirective: 'REPLACE',
    Metadata: meta,
  });
  await s3.deleteObject({ Bucket: bucket, Key: from });
}

// -- verify before "finished" --------------------------------------------------------------------

const store = new S3Store({
  partSize: settings.partSize,
  s3ClientConfig: { bucket, ...s3Config },
});

// One check at a time per upload in this process (a HEAD may ask while the PATCH still checks).
// Several receivers behind one load balancer need a shared lock store instead (README).
const checking = new Map();

function finish(id, upload) {
  if (!checking.has(id)) {
    checking.set(id, verify(id, upload).finally(() => checking.delete(id)));
  }
  return checking.get(id);
}

/** Read the finished upload `id` back from the store and file it: 'verified' or 'damaged'. */
async function verify(id, upload) {
  const meta = upload.metadata ?? {};
  await testHold(id);
  const started = performance.now();
  // An empty upload never becomes an object (@tus/s3-store completes no multipart upload).
  const empty = upload.size === 0;
  if (empty) await s3.putObject({ Bucket: bucket, Key: id, Body: '' });
  const got = await sha256Of(id);
  const read = performance.now();
  const where = `${meta.booth}/${meta.session}/${meta.filename}`;
  if (got.sha256 === meta.sha256 && got.bytes === upload.size) {
    await move(id, `sessions/${where}`, {
      sha256: got.sha256,
      bytes: String(got.bytes),
      verified: 'true',
      upload: id.slice(UPLOADS.length),
    });
    metrics.verified(meta.booth, true);
    const ms = (t) => Math.round(t);
    console.log(
      `receiver: verified ${where} (${got.bytes} bytes; read back in ${ms(read - started)} ms, ` +
        `moved in ${ms(performance.now() - read)} ms)`,
    );
    await assemble(meta.booth, meta.session);
    return 'verified';
  }
  await move(id, `quarantine/${where}.${id.slice(UPLOADS.length)}`, {
    expected: String(meta.sha256),
    found: got.sha256,
    bytes: String(got.bytes),
  });
  // Forget the upload, so that its URL answers 404 and the booth starts the file again.
  await s3.deleteObject({ Bucket: bucket, Key: `${id}.info` });
  await store.clearCache(id);
  metrics.verified(meta.booth, false);
  console.error(
    `receiver: ${where}: the stored ${got.bytes} bytes have sha256 ${got.sha256}, ` +
      `the booth sent ${meta.sha256}: moved to quarantine/`,
  );
  return 'damaged';
}

// Tests only: hold each verification until the test has had its way with the stored object.
async function testHold(id) {
  const dir = process.env.RECEIVER_TEST_HOLD_DIR;
  if (!dir) return;
  const name = id.slice(UPLOADS.length);
  writeFileSync(join(dir, `${name}.held`), JSON.stringify({ bucket, key: id }));
  for (let i = 0; i < 200 && !existsSync(join(dir, `${name}.go`)); i++) await sleep(50);
}

async function onUploadFinish(_req, upload) {
  if ((await finish(upload.id, upload)) === 'damaged') {
    throw { status_code: DAMAGED, body: 'upload damaged: the stored bytes do not match its sha256; start it again\n' };
  }
  return {};
}

/** Before a HEAD: a finished upload whose object still waits at uploads/ is checked now. */
async function checkPending(id) {
  if (!(await exists(id))) return;
  let upload;
  try {
    upload = await store.getUpload(id);
  } catch {
    return; // no .info: not an upload of ours
  }
  if (upload.size !== undefined && upload.offset === upload.size) await finish(id, upload);
}

// -- sessions ------------------------------------------------------------------------------------

/** Write sessions/<booth>/<session>/receipt.json once the manifest and all its files are in. */
async function assemble(booth, session) {
  const prefix = `sessions/${booth}/${session}/`;
  if (await exists(`${prefix}receipt.json`)) return false;
  const manifestHead = await exists(`${prefix}manifest.json`);
  if (!manifestHead || manifestHead.Metadata?.verified !== 'true') return false;
  const manifest = await readJson(`${prefix}manifest.json`);
  // A sealed (encrypted) session lists its ciphertext files under `files`, a clear one its
  // takes under `takes`: both with file, bytes and sha256 of the bytes uploaded.
  const listed = manifest.sealed ? (manifest.files ?? []) : (manifest.takes ?? []);
  const files = [];
  for (const entry of listed) {
    const head = await exists(`${prefix}${entry.file}`);
    if (!head || head.Metadata?.verified !== 'true' || head.Metadata?.sha256 !== entry.sha256) return false;
    files.push({ file: entry.file, bytes: Number(head.Metadata.bytes), sha256: entry.sha256, verified: true });
  }
  files.push({
    file: 'manifest.json',
    bytes: Number(manifestHead.Metadata.bytes),
    sha256: manifestHead.Metadata.sha256,
    verified: true,
  });
  const receipt = {
    booth,
    session,
    interview: manifest.interview_id ?? null,
    sealed: Boolean(manifest.sealed),
    files,
    time: new Date().toISOString(),
  };
  await s3.putObject({
    Bucket: bucket,
    Key: `${prefix}receipt.json`,
    Body: `${JSON.stringify(receipt, null, 2)}\n`,
    ContentType: 'application/json',
  });
  metrics.sessionCompleted(booth);
  console.log(`receiver: session ${booth}/${session} complete: receipt.json written`);
  return true;
}

async function listKeys(prefix) {
  const keys = [];
  let ContinuationToken;
  do {
    const page = await s3.listObjectsV2({ Bucket: bucket, Prefix: prefix, ContinuationToken });
    keys.push(...(page.Contents ?? []).map((o) => o.Key));
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}

/** At start: verify what finished while no receiver was there to, assemble sessions again. */
async function recover() {
  const keys = new Set(await listKeys(UPLOADS));
  for (const key of keys) {
    if (key.endsWith('.info') && keys.has(key.slice(0, -5))) await checkPending(key.slice(0, -5));
  }
  const sessions = new Set();
  const done = new Set();
  for (const key of await listKeys('sessions/')) {
    const parts = key.split('/');
    if (parts.length !== 4) continue;
    (parts[3] === 'receipt.json' ? done : sessions).add(`${parts[1]}/${parts[2]}`);
  }
  for (const s of sessions) {
    if (done.has(s)) continue;
    const [booth, session] = s.split('/');
    await assemble(booth, session);
  }
}

// -- the HTTP server -----------------------------------------------------------------------------

const base = settings.path.replace(/\/+$/, '');
const tus = new Server({
  path: base,
  datastore: store,
  // The Location the booth is given is relative: right behind any proxy or load balancer.
  generateUrl: (_req, { path, id }) => `${path}/${id.slice(UPLOADS.length)}`,
  getFileIdFromRequest: (_req, last) => (last && SEGMENT.test(last) ? `${UPLOADS}${last}` : undefined),
  namingFunction: (req) => `${UPLOADS}${fingerprint(bearer(req.headers))}-${randomBytes(16).toString('hex')}`,
  onUploadFinish,
  // A finished upload is the booth's delivered file: a DELETE must not undo it.
  disableTerminationForFinishedUploads: true,
  // The store not answering is worth a retry later (503), not a receiver bug (500).
  onResponseError: (_req, err) => {
    const status = err?.$metadata?.httpStatusCode;
    const down = err?.$metadata && (status === undefined || status >= 500);
    if (down || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(err?.code)) {
      console.error(`receiver: the object store failed: ${err.name ?? err.code}: ${err.message}`);
      return { status_code: 503, body: 'the object store does not answer; try again later\n' };
    }
    return undefined;
  },
});

function uploadOffset(args) {
  for (const headers of args) {
    if (Array.isArray(headers)) {
      const i = headers.findIndex((h, n) => n % 2 === 0 && String(h).toLowerCase() === 'upload-offset');
      if (i >= 0) return headers[i + 1];
    } else if (headers && typeof headers === 'object') {
      for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'upload-offset') return v;
    }
  }
  return undefined;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://receiver');
  if (url.pathname === '/healthz' && req.method === 'GET') {
    try {
      await s3.headBucket({ Bucket: bucket });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } catch (err) {
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end(`the store does not answer: ${err.name}\n`);
    }
    return;
  }
  if (url.pathname === '/metrics' && req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': metrics.contentType }).end(await metrics.text());
    return;
  }
  if (url.pathname !== base && !url.pathname.startsWith(`${base}/`)) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  const segment = url.pathname.slice(base.length).replace(/^\/+|\/+$/g, '');
  if (!authorize(req, res, segment)) return;
  const id = segment ? `${UPLOADS}${segment}` : null;
  if (req.method === 'HEAD' && id) await checkPending(id);
  if (req.method === 'PATCH' && id) {
    const booth = settings.tokens.get(bearer(req.headers));
    const from = Number(req.headers['upload-offset'] ?? 0);
    metrics.patchStarted();
    res.on('close', () => metrics.patchEnded());
    // @tus/server writes its headers in one writeHead call (as a flat array or an object).
    const writeHead = res.writeHead.bind(res);
    res.writeHead = (status, ...rest) => {
      const to = Number(uploadOffset(rest) ?? from);
      if (status === 204 && to > from) metrics.received(booth, to - from);
      return writeHead(status, ...rest);
    };
  }
  return tus.handle(req, res);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error('receiver:', err);
    if (!res.headersSent) refuse(res, 500, 'receiver error');
    else res.destroy();
  });
});

try {
  await s3.headBucket({ Bucket: bucket });
} catch (err) {
  console.error(
    `receiver: S3_BUCKET ${bucket} at S3_ENDPOINT ${settings.s3.endpoint} cannot be reached ` +
      `(${err.name}: ${err.message}): check the endpoint, the bucket name and the keys`,
  );
  process.exit(2);
}
await recover();
server.listen(settings.port, settings.host, () => {
  const { port } = server.address();
  console.log(`receiver: listening on http://${settings.host}:${port}${base}/ storing in ${bucket}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));

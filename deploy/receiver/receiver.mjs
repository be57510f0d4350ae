// The reference receiver of booth uploads: @tus/server with @tus/s3-store on any S3-compatible
// object store, checking every file before it answers "finished".
//
//   node receiver.mjs          (settings from the environment: see settings.mjs, README.md)
//
// What it adds to @tus/server, and where:
// - which requests reach @tus/server at all (`route`, rules.mjs): RECEIVER_PATH + one upload
//   id, nothing more (no query, no encoded or dot segment), because @tus/server takes the id
//   from the last `/` segment of the whole URL; the token's fingerprint is checked on that id;
// - who may upload (`authorize`): every request but OPTIONS carries a booth's bearer token; a
//   new upload's `booth` metadata must be that token's booth, its file name one a session may
//   hold, and a file already verified in sessions/ is never uploaded again (409);
// - "complete" only for what the store holds (`ProvingStore.getUpload`): @tus/s3-store counts
//   an upload's offset from its parts, completed or not, so an upload whose parts are all there
//   is completed, read back and filed before any answer says offset = length; a store error on
//   the way answers 503 and the next request goes on from there;
// - verify (`verify`): the object is read back and its sha256 compared with the upload's
//   `sha256` metadata; a mismatch goes to quarantine/ and answers 422 (DAMAGED), which the booth
//   takes as "start this file again"; a manifest that cannot be assembled goes to quarantine/
//   with its reason and stops nobody else;
// - sessions (`assemble`): a verified file is moved to sessions/<booth>/<session>/<file>; when a
//   session's manifest and every file it lists are there, receipt.json is written, which the
//   booth fetches (GET RECEIVER_PATH/receipts/<booth>/<session>) before it deletes anything;
// - erasure (`erase`, DELETE RECEIVER_PATH/sessions/<booth>/<session>): a candidate's session
//   leaves the store, with a record under erasures/ that names no one;
// - restarts: nothing is held only in memory. At start every upload whose parts are all there
//   is completed and verified, and every session without a receipt assembled (`recover`).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3 } from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import { Server } from '@tus/server';
import { ERRORS, Metadata } from '@tus/utils';
import { Metrics } from './metrics.mjs';
import { MANIFEST, METHODS, RECEIPT, isPlain, isSessionFile, listedFiles, manifestProblem, route } from './rules.mjs';
import { loadSettings, SettingsError } from './settings.mjs';

// The answer to a final PATCH whose stored object is not the bytes the booth described.
// @tus/server itself never answers 422; the booth restarts the file from zero on it.
export const DAMAGED = 422;
const UPLOADS = 'uploads/';
const INDEX = 'index/';
const SHA256 = /^[0-9a-f]{64}$/;
// A manifest is a few kB; one bigger than this is not a booth's.
const MANIFEST_MAX_BYTES = 1024 * 1024;

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

// -- answers -------------------------------------------------------------------------------------

function bearer(headers) {
  const value = headers.authorization ?? headers.get?.('authorization') ?? '';
  const m = /^Bearer (\S+)$/.exec(value);
  return m && settings.tokens.has(m[1]) ? m[1] : null;
}

function refuse(res, status, why) {
  res.writeHead(status, { 'Tus-Resumable': '1.0.0', 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
  res.end(`${why}\n`);
}

function answerJson(res, status, value) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(`${JSON.stringify(value, null, 2)}\n`);
}

/** Whether `err` says the object store did not answer (or answered 5xx): worth a retry (503). */
function storeDown(err) {
  const status = err?.$metadata?.httpStatusCode;
  if (err?.$metadata && (status === undefined || status >= 500)) return true;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(err?.code) ||
    ['TimeoutError', 'RequestTimeout'].includes(err?.name);
}

const notFound = (err) =>
  err?.$metadata?.httpStatusCode === 404 || ['NoSuchKey', 'NoSuchUpload', 'NotFound'].includes(err?.name ?? err?.Code);

// Answers that carry no internal text: the journal keeps the error itself.
const UNAVAILABLE = { status_code: 503, body: 'the object store does not answer; try again later\n' };
const BROKEN = { status_code: 500, body: "receiver error (the receiver's journal says which)\n" };

function logError(what, err) {
  console.error(`receiver: ${what}: ${err?.name ?? err?.code ?? 'Error'}: ${err?.message ?? err}`);
}

// -- who may upload ------------------------------------------------------------------------------

/** Whether a tus request may go on to @tus/server; answers 400/401/403/409 itself when not. */
async function authorize(req, res, target) {
  if (req.method === 'OPTIONS') return true;
  const token = bearer(req.headers);
  if (token === null) {
    refuse(res, 401, 'a booth token is needed (Authorization: Bearer <token>)');
    return false;
  }
  const booth = settings.tokens.get(token);
  if (target.kind === 'upload') {
    // The same id @tus/server will act on: route() let nothing else through.
    if (target.id.slice(0, 16) !== fingerprint(token)) {
      refuse(res, 403, 'this upload was created with another token');
      return false;
    }
    return true;
  }
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
  if (!isPlain(metadata.session)) {
    refuse(res, 400, 'metadata session is missing or not a plain name');
    return false;
  }
  if (!isSessionFile(metadata.filename)) {
    refuse(res, 400, 'metadata filename is not a file a session holds (<question>-take<k>.mp4, manifest.json, or either .age)');
    return false;
  }
  if (!SHA256.test(metadata.sha256 ?? '')) {
    refuse(res, 400, 'metadata sha256 is missing or not 64 hex digits: the upload could not be verified');
    return false;
  }
  if (!/^[0-9]{1,30}$/.test(req.headers['upload-length'] ?? '')) {
    refuse(res, 400, 'Upload-Length is needed (a booth knows every file size before it sends)');
    return false;
  }
  const length = Number(req.headers['upload-length']);
  if (length > settings.maxBytes) {
    refuse(res, 413, `an upload of ${length} bytes is more than this receiver takes (${settings.maxBytes})`);
    return false;
  }
  const filed = await exists(`sessions/${booth}/${metadata.session}/${metadata.filename}`);
  if (filed?.Metadata?.verified === 'true') {
    refuse(res, 409, `${metadata.session}/${metadata.filename} is stored and verified already: it is not replaced`);
    return false;
  }
  return true;
}

// -- the object store ----------------------------------------------------------------------------

async function exists(key) {
  try {
    return await s3.headObject({ Bucket: bucket, Key: key });
  } catch (err) {
    if (notFound(err)) return null;
    throw err;
  }
}

async function readText(key) {
  const { Body } = await s3.getObject({ Bucket: bucket, Key: key });
  return Body.transformToString();
}

/** sha256 and size of an object; its text too when it is at most `keep` bytes. */
async function sha256Of(key, keep = 0) {
  const { Body } = await s3.getObject({ Bucket: bucket, Key: key });
  const hash = createHash('sha256');
  const pieces = [];
  let bytes = 0;
  for await (const piece of Body) {
    hash.update(piece);
    bytes += piece.length;
    if (bytes <= keep) pieces.push(piece);
  }
  const text = bytes <= keep ? Buffer.concat(pieces).toString('utf8') : null;
  return { sha256: hash.digest('hex'), bytes, text };
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

// -- "complete" only for what the store holds ----------------------------------------------------

/**
 * @tus/s3-store, except that an upload whose offset it counts as complete is reported so only
 * once its object is completed, verified and filed in sessions/ (`settle`). One it cannot
 * settle (damaged, or neither parts nor object left) is forgotten: its URL answers 404 and the
 * booth sends the file again. A store error on the way propagates: 503 for this request.
 */
class ProvingStore extends S3Store {
  async getUpload(id) {
    // @tus/s3-store answers "no such upload" (404) to any error reading the .info, an outage
    // too, and a booth told 404 starts its file again from zero: an outage is 503 here.
    try {
      await this.getMetadata(id);
    } catch (err) {
      if (storeDown(err)) throw err;
    }
    const upload = await super.getUpload(id);
    if (upload.size === undefined || upload.offset < upload.size) return upload;
    if ((await finish(id, upload, false)) === 'verified') return upload;
    throw ERRORS.FILE_NOT_FOUND;
  }
}

const store = new ProvingStore({
  partSize: settings.partSize,
  s3ClientConfig: { bucket, ...s3Config },
});

const whereOf = (meta) => `${meta.booth}/${meta.session}/${meta.filename}`;

/** Whether sessions/ holds this upload's file verified, with its sha256 and size. */
async function filed(upload) {
  const meta = upload.metadata ?? {};
  const head = await exists(`sessions/${whereOf(meta)}`);
  return Boolean(
    head && head.Metadata?.verified === 'true' && head.Metadata?.sha256 === meta.sha256 &&
      Number(head.Metadata?.bytes) === upload.size,
  );
}

/** Complete an upload's multipart upload when its parts hold every byte; false when they do not
 * or it is gone (aborted, or expired by a lifecycle rule). */
async function completeParts(id, upload) {
  let metadata;
  let parts;
  try {
    metadata = await store.getMetadata(id);
    parts = await store.retrieveParts(id);
  } catch (err) {
    if (notFound(err)) return false;
    throw err;
  }
  const held = parts.reduce((n, p) => n + (p.Size ?? 0), 0);
  if (held !== upload.size) return false;
  await store.finishMultipartUpload(metadata, parts);
  await store.clearCache(id);
  console.log(`receiver: completed ${id} (${parts.length} parts), which no request had completed`);
  return true;
}

// One settling at a time per upload in this process (a HEAD may ask while the PATCH still
// verifies). Several receivers behind one load balancer need a shared lock store (README).
const checking = new Map();

/** Settle the upload `id`, all of whose bytes arrived: 'verified', 'damaged', 'refused',
 * 'quarantined' or 'lost'. `completed`: the final PATCH has just completed it. */
function finish(id, upload, completed) {
  if (!checking.has(id)) {
    checking.set(id, settle(id, upload, completed).finally(() => checking.delete(id)));
  }
  return checking.get(id);
}

async function settle(id, upload, completed) {
  if (!completed) {
    if (await filed(upload)) return 'verified';
    if (!(await exists(id)) && !(await completeParts(id, upload))) {
      if (upload.size === 0) return verify(id, upload);
      await forget(id);
      console.error(`receiver: ${id}: neither its parts nor its object are in the store: forgotten`);
      return 'lost';
    }
  }
  return verify(id, upload);
}

/** Forget an upload, so that its URL answers 404 and the booth starts the file again. */
async function forget(id) {
  await s3.deleteObject({ Bucket: bucket, Key: `${id}.info` });
  await store.clearCache(id);
}

/** Read the finished upload `id` back from the store and file it. */
async function verify(id, upload) {
  const meta = upload.metadata ?? {};
  await testHold(id);
  const started = performance.now();
  // An empty upload never becomes an object (@tus/s3-store completes no multipart upload).
  if (upload.size === 0 && !(await exists(id))) await s3.putObject({ Bucket: bucket, Key: id, Body: '' });
  const isManifest = meta.filename === MANIFEST;
  const got = await sha256Of(id, isManifest ? MANIFEST_MAX_BYTES : 0);
  const read = performance.now();
  const where = whereOf(meta);
  const short = id.slice(UPLOADS.length);
  if (got.sha256 !== meta.sha256 || got.bytes !== upload.size) {
    await move(id, `quarantine/${where}.${short}`, {
      expected: String(meta.sha256),
      found: got.sha256,
      bytes: String(got.bytes),
      reason: 'sha256',
    });
    await forget(id);
    metrics.verified(meta.booth, false);
    console.error(
      `receiver: ${where}: the stored ${got.bytes} bytes have sha256 ${got.sha256}, ` +
        `the booth sent ${meta.sha256}: moved to quarantine/`,
    );
    return 'damaged';
  }
  const problem = isManifest ? manifestProblem(got.text ?? '', meta.booth, meta.session) : null;
  if (problem) {
    await quarantineManifest(id, `quarantine/${where}.${short}`, meta.booth, `${where}: ${problem}`);
    await forget(id);
    return 'quarantined';
  }
  const before = await exists(`sessions/${where}`);
  if (before?.Metadata?.verified === 'true') {
    // Two uploads of one file raced past creation's 409: the first verified one stays, as the
    // receipt says; the same bytes again change nothing.
    if (before.Metadata.sha256 === got.sha256) {
      await s3.deleteObject({ Bucket: bucket, Key: id });
      return 'verified';
    }
    await move(id, `quarantine/${where}.${short}`, { reason: 'replaces a verified file', found: got.sha256 });
    await forget(id);
    console.error(`receiver: ${where}: another upload of a verified file, with other bytes: quarantined`);
    return 'refused';
  }
  await move(id, `sessions/${where}`, { sha256: got.sha256, bytes: String(got.bytes), verified: 'true', upload: short });
  metrics.verified(meta.booth, true);
  const ms = (t) => Math.round(t);
  console.log(
    `receiver: verified ${where} (${got.bytes} bytes; read back in ${ms(read - started)} ms, ` +
      `moved in ${ms(performance.now() - read)} ms)`,
  );
  await assemble(meta.booth, meta.session);
  return 'verified';
}

async function quarantineManifest(from, to, booth, reason) {
  await move(from, to, { reason: reason.slice(0, 500) });
  metrics.manifestQuarantined(booth);
  console.error(`receiver: manifest ${reason}: moved to ${to}`);
}

// Tests only: hold each verification until the test has had its way with the stored object.
async function testHold(id) {
  const dir = process.env.RECEIVER_TEST_HOLD_DIR;
  if (!dir) return;
  const name = id.slice(UPLOADS.length);
  writeFileSync(join(dir, `${name}.held`), JSON.stringify({ bucket, key: id }));
  for (let i = 0; i < 200 && !existsSync(join(dir, `${name}.go`)); i++) await sleep(50);
}

const FINISH_ANSWERS = {
  damaged: { status_code: DAMAGED, body: 'upload damaged: the stored bytes do not match its sha256; start it again\n' },
  quarantined: { status_code: DAMAGED, body: 'the manifest cannot be assembled (not JSON, or not shaped like one): set aside\n' },
  refused: { status_code: 409, body: 'this file is stored and verified already with other bytes: it is not replaced\n' },
  lost: ERRORS.FILE_NOT_FOUND,
};

async function onUploadFinish(_req, upload) {
  const outcome = await finish(upload.id, upload, true);
  if (outcome !== 'verified') throw FINISH_ANSWERS[outcome];
  return {};
}

// Where erasure finds every upload of a session, without reading every upload's .info.
async function onUploadCreate(_req, upload) {
  const meta = upload.metadata ?? {};
  await s3.putObject({ Bucket: bucket, Key: `${INDEX}${meta.booth}/${meta.session}/${upload.id.slice(UPLOADS.length)}`, Body: '' });
  return {};
}

// -- sessions ------------------------------------------------------------------------------------

/** Write sessions/<booth>/<session>/receipt.json once the manifest and all its files are in. */
async function assemble(booth, session) {
  const prefix = `sessions/${booth}/${session}/`;
  if (await exists(`${prefix}${RECEIPT}`)) return false;
  const manifestHead = await exists(`${prefix}${MANIFEST}`);
  if (!manifestHead || manifestHead.Metadata?.verified !== 'true') return false;
  const text = await readText(`${prefix}${MANIFEST}`);
  const problem = manifestProblem(text, booth, session);
  if (problem) {
    // Filed before manifests were checked at upload: set aside, never in anyone's way again.
    await quarantineManifest(`${prefix}${MANIFEST}`, `quarantine/${booth}/${session}/${MANIFEST}.${Date.now()}`, booth, `${booth}/${session}: ${problem}`);
    return false;
  }
  const manifest = JSON.parse(text);
  const files = [];
  for (const entry of listedFiles(manifest)) {
    const head = await exists(`${prefix}${entry.file}`);
    if (!head || head.Metadata?.verified !== 'true' || head.Metadata?.sha256 !== entry.sha256) return false;
    files.push({ file: entry.file, bytes: Number(head.Metadata.bytes), sha256: entry.sha256, verified: true });
  }
  files.push({
    file: MANIFEST,
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
    Key: `${prefix}${RECEIPT}`,
    Body: `${JSON.stringify(receipt, null, 2)}\n`,
    ContentType: 'application/json',
  });
  metrics.sessionCompleted(booth);
  console.log(`receiver: session ${booth}/${session} complete: receipt.json written`);
  return true;
}

/** DELETE RECEIVER_PATH/sessions/<booth>/<session>: every object of the session, its uploads
 * (parts included) and quarantined copies leave the store; erasures/ keeps that it happened. */
async function erase(booth, session) {
  const ids = (await listKeys(`${INDEX}${booth}/${session}/`)).map((k) => k.split('/').pop());
  for (const short of ids) {
    const id = `${UPLOADS}${short}`;
    try {
      const { 'upload-id': uploadId } = await store.getMetadata(id);
      if (uploadId) await s3.abortMultipartUpload({ Bucket: bucket, Key: id, UploadId: uploadId });
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    for (const key of [id, `${id}.part`, `${id}.info`]) await s3.deleteObject({ Bucket: bucket, Key: key });
    await store.clearCache(id);
  }
  const stored = await listKeys(`sessions/${booth}/${session}/`);
  const quarantined = await listKeys(`quarantine/${booth}/${session}/`);
  for (const key of [...stored, ...quarantined, ...ids.map((s) => `${INDEX}${booth}/${session}/${s}`)]) {
    await s3.deleteObject({ Bucket: bucket, Key: key });
  }
  const record = {
    booth,
    session,
    time: new Date().toISOString(),
    files: stored.map((k) => k.split('/').pop()),
    quarantined: quarantined.length,
    uploads: ids.length,
  };
  await s3.putObject({
    Bucket: bucket,
    Key: `erasures/${booth}/${session}.json`,
    Body: `${JSON.stringify(record, null, 2)}\n`,
    ContentType: 'application/json',
  });
  metrics.erased(booth);
  console.log(`receiver: erased session ${booth}/${session} (${stored.length} files, ${quarantined.length} quarantined, ${ids.length} uploads)`);
  return record;
}

/** At start: complete and verify what all arrived while no receiver finished it, then assemble
 * every session without a receipt. What cannot be done is logged and skipped: one booth's bad
 * upload never keeps the receiver from serving the others. */
async function recover() {
  let KeyMarker;
  let UploadIdMarker;
  const pending = new Set();
  do {
    const page = await s3.listMultipartUploads({ Bucket: bucket, Prefix: UPLOADS, KeyMarker, UploadIdMarker });
    for (const u of page.Uploads ?? []) pending.add(u.Key);
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (KeyMarker);
  const keys = new Set(await listKeys(UPLOADS));
  for (const key of keys) if (key.endsWith('.info') && keys.has(key.slice(0, -5))) pending.add(key.slice(0, -5));
  for (const id of pending) {
    if (!keys.has(`${id}.info`)) continue;
    try {
      await store.getUpload(id);
    } catch (err) {
      if (err === ERRORS.FILE_NOT_FOUND) continue;
      logError(`at start, ${id} could not be settled (it is tried again on its next request)`, err);
    }
  }
  const sessions = new Set();
  const done = new Set();
  for (const key of await listKeys('sessions/')) {
    const parts = key.split('/');
    if (parts.length !== 4) continue;
    (parts[3] === RECEIPT ? done : sessions).add(`${parts[1]}/${parts[2]}`);
  }
  for (const s of sessions) {
    if (done.has(s)) continue;
    const [booth, session] = s.split('/');
    try {
      await assemble(booth, session);
    } catch (err) {
      logError(`at start, session ${s} could not be assembled (skipped)`, err);
    }
  }
}

// -- the HTTP server -----------------------------------------------------------------------------

const base = settings.path.replace(/\/+$/, '');
const tus = new Server({
  path: base,
  datastore: store,
  maxSize: settings.maxBytes,
  // The Location the booth is given is relative: right behind any proxy or load balancer.
  generateUrl: (_req, { path, id }) => `${path}/${id.slice(UPLOADS.length)}`,
  getFileIdFromRequest: (_req, last) => (last && route(`${base}/${last}`, base).kind === 'upload' ? `${UPLOADS}${last}` : undefined),
  namingFunction: (req) => `${UPLOADS}${fingerprint(bearer(req.headers))}-${randomBytes(16).toString('hex')}`,
  onUploadCreate,
  onUploadFinish,
  // A finished upload is the booth's delivered file: a DELETE must not undo it.
  disableTerminationForFinishedUploads: true,
  onResponseError: (_req, err) => {
    if (storeDown(err)) {
      logError('the object store failed', err);
      return UNAVAILABLE;
    }
    if (err?.status_code) return undefined; // the protocol's own answers (@tus/utils ERRORS)
    logError('error', err);
    return BROKEN;
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

async function serveMetrics(req, res) {
  res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }).end(await metrics.text());
}

function metricsAllowed(req) {
  if (!settings.metricsToken || settings.metricsPort !== null) return false;
  // Compared as digests, in constant time: the token's length and bytes stay unguessable.
  const digest = (text) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(req.headers.authorization ?? ''), digest(`Bearer ${settings.metricsToken}`));
}

async function handle(req, res) {
  const target = route(req.url, base);
  if (target.kind === 'health' && req.method === 'GET') {
    try {
      await s3.headBucket({ Bucket: bucket });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } catch (err) {
      logError('health: the object store failed', err);
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('the object store does not answer\n');
    }
    return;
  }
  if (target.kind === 'metrics' && req.method === 'GET' && metricsAllowed(req)) return serveMetrics(req, res);
  if (['none', 'health', 'metrics'].includes(target.kind)) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  if (target.kind === 'bad') {
    refuse(res, 400, `not an upload URL: ${base}/ and one upload id, nothing more`);
    return;
  }
  if (!METHODS[target.kind].includes(req.method)) {
    res.setHeader('Allow', METHODS[target.kind].join(', '));
    refuse(res, 405, `${req.method} is not answered here`);
    return;
  }
  if (target.kind === 'receipt' || target.kind === 'session') return sessionRequest(req, res, target);
  if (!(await authorize(req, res, target))) return;
  if (req.method === 'PATCH') {
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

/** GET receipts/<booth>/<session> and DELETE sessions/<booth>/<session>: a booth's own only. */
async function sessionRequest(req, res, { kind, booth, session }) {
  const token = bearer(req.headers);
  if (token === null) return refuse(res, 401, 'a booth token is needed (Authorization: Bearer <token>)');
  if (settings.tokens.get(token) !== booth) return refuse(res, 403, `this token is not booth ${booth}'s`);
  if (kind === 'receipt') {
    const key = `sessions/${booth}/${session}/${RECEIPT}`;
    let text;
    try {
      text = await readText(key);
    } catch (err) {
      if (notFound(err)) return refuse(res, 404, `no receipt for session ${session} (yet)`);
      throw err;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(text);
    return;
  }
  answerJson(res, 200, await erase(booth, session));
}

function onServerError(req, res) {
  return (err) => {
    if (storeDown(err)) logError(`${req.method} ${req.url}: the object store failed`, err);
    else console.error('receiver:', err);
    if (res.headersSent) return res.destroy();
    const { status_code, body } = storeDown(err) ? UNAVAILABLE : BROKEN;
    refuse(res, status_code, body.trimEnd());
  };
}

const server = http.createServer((req, res) => {
  handle(req, res).catch(onServerError(req, res));
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
try {
  await recover();
} catch (err) {
  // The store failed while listing: serve anyway; every request settles its own upload.
  logError('at start, recovery stopped', err);
}
let metricsServer = null;
if (settings.metricsPort !== null) {
  metricsServer = http.createServer((req, res) => {
    if (req.url === '/metrics' && req.method === 'GET') serveMetrics(req, res).catch(onServerError(req, res));
    else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  });
  metricsServer.listen(settings.metricsPort, '127.0.0.1', () => {
    console.log(`receiver: metrics on http://127.0.0.1:${metricsServer.address().port}/metrics`);
  });
}
server.listen(settings.port, settings.host, () => {
  const { port } = server.address();
  console.log(`receiver: listening on http://${settings.host}:${port}${base}/ storing in ${bucket}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    metricsServer?.close();
    server.close(() => process.exit(0));
  });
}

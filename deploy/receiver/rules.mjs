// The receiver's rules on names, with no I/O: which request targets it answers, which file
// names a session may hold, what a manifest must look like. receiver.mjs applies them.

// The id of an upload, as the receiver names it: the creating token's fingerprint, then 128
// random bits. The URL of an upload is RECEIVER_PATH + this, and nothing else.
export const UPLOAD_ID = /^([0-9a-f]{16})-([0-9a-f]{32})$/;
// A booth or session id: what settings.mjs and the booth's spool accept (no dot segment, no
// slash, no escape can hide in one).
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
// What a session holds: kept takes (booth.media.spool: <question id>-take<k>.mp4), the
// manifest, and their age-encrypted forms (booth.privacy). receipt.json is the receiver's own.
const TAKE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}-take[0-9]{1,4}\.mp4$/;
export const MANIFEST = 'manifest.json';
export const RECEIPT = 'receipt.json';
const SHA256 = /^[0-9a-f]{64}$/;

export const isPlain = (name) => typeof name === 'string' && PLAIN.test(name);

/** Whether `name` may be a file of a session: a take, the manifest, or either one sealed. */
export function isSessionFile(name) {
  if (typeof name !== 'string') return false;
  const clear = name.endsWith('.age') ? name.slice(0, -4) : name;
  return clear === MANIFEST || TAKE.test(clear);
}

/**
 * What a request target (the raw request line: nothing decoded or normalised) asks for:
 * {kind: 'health' | 'metrics' | 'endpoint' | 'upload' | 'receipt' | 'session' | 'none' | 'bad'}
 * with `id`, `booth`, `session` where they apply. @tus/server takes an upload's id from the last
 * `/` segment of the whole URL, query included, so anything but the exact forms is 'bad' (400):
 * a query string, more segments, an encoded character, an empty or dot segment.
 */
export function route(target, base) {
  if (target === '/healthz') return { kind: 'health' };
  if (target === '/metrics') return { kind: 'metrics' };
  if (!target.startsWith(base)) return { kind: 'none' };
  const rest = target.slice(base.length);
  if (rest === '' || rest === '/') return { kind: 'endpoint' };
  if (rest[0] !== '/') return /^[A-Za-z0-9._-]/.test(rest) ? { kind: 'none' } : { kind: 'bad' };
  const parts = rest.slice(1).split('/');
  if (parts.length === 1 && UPLOAD_ID.test(parts[0])) return { kind: 'upload', id: parts[0] };
  if (parts.length === 3 && isPlain(parts[1]) && isPlain(parts[2])) {
    if (parts[0] === 'receipts') return { kind: 'receipt', booth: parts[1], session: parts[2] };
    if (parts[0] === 'sessions') return { kind: 'session', booth: parts[1], session: parts[2] };
  }
  return { kind: 'bad' };
}

// The methods each kind of target answers. GET of an upload is not among them: a booth never
// reads its uploads back, and @tus/server would serve the bytes while they are being verified.
export const METHODS = {
  endpoint: ['POST', 'OPTIONS'],
  upload: ['HEAD', 'PATCH', 'DELETE', 'OPTIONS'],
  receipt: ['GET'],
  session: ['DELETE'],
};

/**
 * Why `text` is not a manifest of session `session` of booth `booth` that the receiver can
 * assemble, or null. A manifest lists its takes (`takes`) or, sealed, its ciphertext files
 * (`files`), each with a session file name and a sha256.
 */
export function manifestProblem(text, booth, session) {
  let manifest;
  try {
    manifest = JSON.parse(text);
  } catch {
    return 'it is not JSON';
  }
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    return 'it is not a JSON object';
  }
  if (manifest.session_id !== undefined && manifest.session_id !== session) {
    return `its session_id is not ${session}`;
  }
  if (manifest.booth_id !== undefined && manifest.booth_id !== booth) return `its booth_id is not ${booth}`;
  const key = manifest.sealed ? 'files' : 'takes';
  const listed = manifest[key] ?? [];
  if (!Array.isArray(listed)) return `its ${key} is not a list`;
  const seen = new Set();
  for (const [i, entry] of listed.entries()) {
    if (entry === null || typeof entry !== 'object') return `${key}[${i}] is not an object`;
    if (!isSessionFile(entry.file) || entry.file === MANIFEST) return `${key}[${i}].file is not a take file name`;
    if (seen.has(entry.file)) return `${key}[${i}].file ${entry.file} is listed twice`;
    if (!SHA256.test(entry.sha256 ?? '')) return `${key}[${i}].sha256 is not 64 hex digits`;
    seen.add(entry.file);
  }
  return null;
}

/** The files a (checked) manifest lists: [{file, sha256}]. */
export function listedFiles(manifest) {
  return (manifest.sealed ? manifest.files : manifest.takes) ?? [];
}

// The receiver's settings, from the environment (deploy/receiver/start loads them from ENVFILE).
// Every missing or bad one is a SettingsError that names the setting and the fix.

import { readFileSync } from 'node:fs';

export class SettingsError extends Error {}

const REQUIRED = ['RECEIVER_PORT', 'S3_ENDPOINT', 'S3_REGION', 'S3_BUCKET', 'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY', 'BOOTH_TOKENS_FILE'];
const BOOTH_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MIN_TOKEN = 16;
const MIB = 1024 * 1024;
// The longest answer (3600 s, booth.config.interview) at the booth's default 8 Mbit/s video and
// 128 kbit/s audio is 3.7 GB; twice that leaves room for a higher bitrate_bps.
const DEFAULT_MAX_BYTES = 8 * 1024 * MIB;

/** Map token -> booth id from the tokens file: `booth_id token` lines, # comments. */
export function readTokens(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SettingsError(`BOOTH_TOKENS_FILE ${path} cannot be read (${err.code ?? err.message})`);
  }
  const tokens = new Map();
  const booths = new Set();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `BOOTH_TOKENS_FILE ${path} line ${i + 1}`;
    const words = line.split(/\s+/);
    if (words.length !== 2) throw new SettingsError(`${where}: want "booth_id token", found ${words.length} words`);
    const [booth, token] = words;
    if (!BOOTH_ID.test(booth)) throw new SettingsError(`${where}: booth id ${JSON.stringify(booth)} is not a plain name (letters, digits, . _ -)`);
    if (token.length < MIN_TOKEN) throw new SettingsError(`${where}: the token is shorter than ${MIN_TOKEN} characters (make one with: openssl rand -hex 32)`);
    if (tokens.has(token)) throw new SettingsError(`${where}: this token is already booth ${tokens.get(token)}'s: every booth needs its own`);
    if (booths.has(booth)) throw new SettingsError(`${where}: booth ${booth} has a token already: one line per booth`);
    tokens.set(token, booth);
    booths.add(booth);
  });
  if (tokens.size === 0) throw new SettingsError(`BOOTH_TOKENS_FILE ${path} lists no booth: add "booth_id token" lines`);
  return tokens;
}

export function loadSettings(env) {
  const missing = REQUIRED.filter((k) => !env[k]);
  if (missing.length) throw new SettingsError(`${missing.join(', ')} not set: see deploy/receiver/README.md`);
  const port = Number(env.RECEIVER_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SettingsError(`RECEIVER_PORT ${JSON.stringify(env.RECEIVER_PORT)} is not a port number (0-65535)`);
  }
  const path = env.RECEIVER_PATH ?? '/files/';
  if (!/^\/[A-Za-z0-9._\/-]*$/.test(path) || path.replace(/\/+$/, '') === '') {
    throw new SettingsError(`RECEIVER_PATH ${JSON.stringify(path)} must be a path like /files/`);
  }
  let endpoint;
  try {
    endpoint = new URL(env.S3_ENDPOINT);
  } catch {
    throw new SettingsError(`S3_ENDPOINT ${JSON.stringify(env.S3_ENDPOINT)} is not a URL (like https://s3.example.org)`);
  }
  if (!['http:', 'https:'].includes(endpoint.protocol)) {
    throw new SettingsError(`S3_ENDPOINT ${env.S3_ENDPOINT} must be http:// or https://`);
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(env.S3_BUCKET)) {
    throw new SettingsError(`S3_BUCKET ${JSON.stringify(env.S3_BUCKET)} is not a bucket name (3-63 of a-z 0-9 . -)`);
  }
  const pathStyle = (env.S3_PATH_STYLE ?? 'true').toLowerCase();
  if (!['true', 'false'].includes(pathStyle)) throw new SettingsError('S3_PATH_STYLE must be true or false');
  const partMib = Number(env.S3_PART_MIB ?? '8');
  if (!Number.isFinite(partMib) || partMib < 5 || partMib > 5 * 1024) {
    throw new SettingsError(`S3_PART_MIB ${env.S3_PART_MIB} must be 5-5120 (S3 parts are at least 5 MiB)`);
  }
  const maxBytes = Number(env.RECEIVER_MAX_BYTES ?? DEFAULT_MAX_BYTES);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new SettingsError('RECEIVER_MAX_BYTES must be a whole number of bytes (default 8 GiB: 8589934592)');
  }
  const metricsToken = env.METRICS_TOKEN || null;
  if (metricsToken !== null && (metricsToken.length < MIN_TOKEN || /\s/.test(metricsToken))) {
    throw new SettingsError(`METRICS_TOKEN must be at least ${MIN_TOKEN} characters, no spaces (make one with: openssl rand -hex 32)`);
  }
  let metricsPort = null;
  if (env.METRICS_PORT) {
    metricsPort = Number(env.METRICS_PORT);
    if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) {
      throw new SettingsError('METRICS_PORT is not a port number (0-65535)');
    }
  }
  return {
    port,
    maxBytes,
    metricsToken,
    metricsPort,
    host: env.RECEIVER_HOST ?? '127.0.0.1',
    path,
    partSize: Math.round(partMib * MIB),
    s3: {
      endpoint: endpoint.href.replace(/\/$/, ''),
      region: env.S3_REGION,
      bucket: env.S3_BUCKET,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      pathStyle: pathStyle === 'true',
    },
    tokens: readTokens(env.BOOTH_TOKENS_FILE),
  };
}

// The bench's baseline: @tus/server with @tus/s3-store and nothing else (no tokens, no
// completion check, no read-back, no sessions), on the same store as deploy/receiver.
// bench/receiver_upload.py copies it beside a link to deploy/receiver/node_modules and runs it.
import http from 'node:http';
import { S3Store } from '@tus/s3-store';
import { Server } from '@tus/server';

const env = process.env;
const store = new S3Store({
  partSize: 8 * 1024 * 1024,
  s3ClientConfig: {
    bucket: env.S3_BUCKET,
    endpoint: env.S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  },
});
const tus = new Server({ path: '/files', datastore: store, relativeLocation: true });
const server = http.createServer((req, res) => tus.handle(req, res));
server.listen(0, '127.0.0.1', () => {
  console.log(`bare: listening on http://127.0.0.1:${server.address().port}/files/`);
});

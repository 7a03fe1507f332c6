// A real nginx (Debian's package) as a caching mirror on loopback, in front
// of the Hub-like origin and its CDN (hub-origin.ts): the origin's redirect
// is rewritten to the mirror's own /cdn/ path, and both the redirect and the
// file are kept in nginx's proxy_cache. A store whose endpoint is the mirror
// fetches as from the Hub; a second store fetching the same file through the
// mirror reaches neither the origin nor the CDN.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { ModelCache } from 'caro-cache';
import { startHubOrigin } from './hub-origin.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
const root = mkdtempSync(join(tmpdir(), 'caro-mirror-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listening(port: number, child: ChildProcess, log: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${readFileSync(log, 'utf8')}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (up) return;
    await sleep(25);
  }
  throw new Error(`nginx did not listen on ${port}: ${readFileSync(log, 'utf8')}`);
}

/** Starts nginx as a child process with its own prefix and config in `dir`; stopped after the file's tests. */
async function startMirror(origin: string, cdn: string): Promise<string> {
  const dir = join(root, 'nginx');
  const port = await freePort();
  const log = join(dir, 'error.log');
  const conf = join(dir, 'nginx.conf');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'cache'), { recursive: true });
  writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${log} warn;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=hub:1m max_size=256m inactive=1h use_temp_path=off;
  server {
    listen 127.0.0.1:${port};
    proxy_cache hub;
    proxy_cache_valid 200 206 302 1h;
    proxy_cache_lock on;
    proxy_buffering on;
    location /cdn/ {
      proxy_pass ${cdn}/;
    }
    location / {
      proxy_pass ${origin};
      # The origin sends clients to its CDN: they are sent to the mirror's copy of it instead.
      proxy_redirect ${cdn}/ /cdn/;
    }
  }
}
`,
  );
  const child = spawn(NGINX!, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: 'ignore' });
  after(async () => {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  });
  await listening(port, child, log);
  return `http://127.0.0.1:${port}`;
}

describe(
  'through a real nginx mirror',
  { skip: NGINX === undefined && 'nginx is not installed (bash scripts/debian-packages.sh nginx)' },
  () => {
    test('a second store fetching through the mirror does not reach the origin or its CDN', async () => {
      const hub = await startHubOrigin();
      const data = Buffer.alloc(3 * 2 ** 20);
      for (let at = 0; at < data.length; at += 32) createHash('sha256').update(String(at)).digest().copy(data, at);
      const commit = hub.publish('org/mirrored-GGUF', 'model.gguf', data);
      const mirror = await startMirror(hub.endpoint, hub.cdn);
      const source = 'hf://org/mirrored-GGUF/model.gguf';

      const first = await ModelCache.open({ dir: join(root, 'first'), endpoint: mirror });
      const a = await first.fetch('m', source);
      await first.close();
      assert.ok(readFileSync(a.path).equals(data));
      assert.equal(a.commit, commit);
      assert.equal(hub.origin.length, 1, 'the first store reached the origin through the mirror');
      assert.equal(hub.cdnSeen.length, 1, 'and the CDN');

      hub.reset();
      const second = await ModelCache.open({ dir: join(root, 'second'), endpoint: mirror });
      const b = await second.fetch('m', source);
      await second.close();
      assert.ok(readFileSync(b.path).equals(data));
      assert.equal(b.commit, commit);
      assert.equal(b.etag, a.etag);
      assert.deepEqual(hub.origin, [], 'the second store did not reach the origin');
      assert.deepEqual(hub.cdnSeen, [], 'nor the CDN');
    });
  },
);

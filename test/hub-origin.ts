// A loopback origin that behaves like the Hugging Face Hub's resolve
// endpoint, and the "CDN" host it redirects to, on two loopback ports. The
// origin answers `/<owner>/<repo>/resolve/<revision>/<file>` with a 302 to
// the CDN carrying X-Repo-Commit, X-Linked-Etag and X-Linked-Size, as the
// Hub does for LFS files; gated repositories want a Bearer token. The CDN
// serves the bytes with an ETag, honours Range and can be slowed down. Both
// count every request they see, with its headers.

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { serveLoopback } from './loopback.js';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

interface Version {
  commit: string;
  data: Buffer;
  sha256: string;
}

export interface HubOrigin {
  /** The endpoint (what HF_ENDPOINT or the endpoint option names). */
  endpoint: string;
  cdn: string;
  /** Requests the origin saw. */
  origin: Seen[];
  /** Requests the CDN saw. */
  cdnSeen: Seen[];
  /** Publishes a new version of a file on `main`; returns its commit. */
  publish(repo: string, file: string, data: Buffer): string;
  /** Publishes new versions of several files on `main` in one commit; returns it. */
  publishAll(repo: string, files: Record<string, Buffer>): string;
  /** Makes a repository gated: only `Bearer <token>` gets its files. */
  gate(repo: string, token: string): void;
  /**
   * CDN answers to GETs: each sends `bytes` of the body (all if undefined)
   * and then stalls for `stallMs` (or ends, when 0) before the rest.
   */
  throttle(bytes: number | undefined, stallMs: number): void;
  /** Forgets the requests seen. */
  reset(): void;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export async function startHubOrigin(): Promise<HubOrigin> {
  const versions = new Map<string, Version[]>();
  const blobs = new Map<string, Buffer>();
  const gates = new Map<string, string>();
  const origin: Seen[] = [];
  const cdnSeen: Seen[] = [];
  let throttle: { bytes: number | undefined; stallMs: number } = { bytes: undefined, stallMs: 0 };
  let commits = 0;

  const cdn = await serveLoopback((req: IncomingMessage, res: ServerResponse) => {
    cdnSeen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const data = blobs.get((req.url ?? '').replace(/^\/blob\//, ''));
    if (data === undefined) return res.writeHead(404).end();
    const etag = `"${sha256(data)}"`;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    const from = range !== null && (ifRange === undefined || ifRange === etag) ? Number(range[1]) : 0;
    const body = data.subarray(from);
    const headers = { etag, 'content-length': body.length, 'accept-ranges': 'bytes' };
    if (from > 0)
      res.writeHead(206, { ...headers, 'content-range': `bytes ${from}-${data.length - 1}/${data.length}` });
    else res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    const { bytes, stallMs } = throttle;
    if (bytes === undefined || bytes >= body.length) return res.end(body);
    res.write(body.subarray(0, bytes));
    if (stallMs === 0) return res.destroy();
    setTimeout(() => res.end(body.subarray(bytes)), stallMs).unref();
  });

  const endpoint = await serveLoopback((req: IncomingMessage, res: ServerResponse) => {
    origin.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url ?? '');
    if (match === null) return res.writeHead(404).end();
    const [, repo, revisionText, fileText] = match;
    const revision = decodeURIComponent(revisionText);
    const file = fileText.split('/').map(decodeURIComponent).join('/');
    const gate = gates.get(repo);
    if (gate !== undefined && req.headers.authorization !== `Bearer ${gate}`) {
      return res.writeHead(401, { 'x-error-code': 'GatedRepo' }).end('Access to this model is restricted');
    }
    const history = versions.get(`${repo}/${file}`) ?? [];
    const version = revision === 'main' ? history.at(-1) : history.find((v) => v.commit === revision);
    if (version === undefined) return res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end();
    res
      .writeHead(302, {
        location: `${cdn}/blob/${version.sha256}`,
        'x-repo-commit': version.commit,
        'x-linked-etag': `"${version.sha256}"`,
        'x-linked-size': version.data.length,
      })
      .end();
  });

  const publishAll = (repo: string, files: Record<string, Buffer>): string => {
    const commit = sha256(Buffer.from(`commit ${++commits}`)).slice(0, 40);
    for (const [file, data] of Object.entries(files)) {
      const key = `${repo}/${file}`;
      versions.set(key, [...(versions.get(key) ?? []), { commit, data, sha256: sha256(data) }]);
      blobs.set(sha256(data), data);
    }
    return commit;
  };

  return {
    endpoint,
    cdn,
    origin,
    cdnSeen,
    publish: (repo, file, data) => publishAll(repo, { [file]: data }),
    publishAll,
    gate(repo, token) {
      gates.set(repo, token);
    },
    throttle(bytes, stallMs) {
      throttle = { bytes, stallMs };
    },
    reset() {
      origin.length = 0;
      cdnSeen.length = 0;
    },
  };
}

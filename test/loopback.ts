// An HTTP server on 127.0.0.1 for one test file: the download tests talk to
// it instead of the network.
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

/** Serves `handler` on a free loopback port until the file's tests end; resolves to its base URL. */
export async function serveLoopback(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(async () => {
    // A stalled download's socket would otherwise hold close() open.
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

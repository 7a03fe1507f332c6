// Prints the SHA-256 of the sources the addon is built from (binding.gyp and
// native/, tests aside). binding.gyp compiles it into the addon, so a test can
// tell a committed prebuilt binary that no longer matches its sources.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = [
  'binding.gyp',
  ...readdirSync(join(root, 'native'))
    .filter((name) => /\.(cc|h)$/.test(name))
    .map((name) => `native/${name}`),
].sort();

const hash = createHash('sha256');
for (const file of files) {
  // Line endings normalised, so a Windows checkout hashes the same.
  hash.update(`${file}\0${readFileSync(join(root, file), 'utf8').replace(/\r\n/g, '\n')}\0`);
}
process.stdout.write(hash.digest('hex'));

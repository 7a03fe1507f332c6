// Preloaded (--import) into a test process that runs under qemu-user.
//
// qemu-user runs one binary; a child the guest spawns goes to the host kernel,
// which cannot execute an arm64 ELF without a binfmt_misc handler (none is
// registered here: /proc/sys/fs/binfmt_misc is not even mounted), so glibc
// falls back to running the node binary as a shell script. Tests that spawn
// process.execPath (backends.test.js) would then fail for a reason that has
// nothing to do with the package. This puts the same emulator in front of
// such spawns, so the child is the cell's own node, emulated like its parent.
//
// CARO_MATRIX_EMULATOR holds the emulator's argv as JSON, e.g.
// ["qemu-aarch64","-L","/usr/aarch64-linux-gnu"].
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const emulator = JSON.parse(process.env.CARO_MATRIX_EMULATOR ?? '[]');

if (emulator.length > 0) {
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync']) {
    const original = childProcess[name];
    childProcess[name] = function (file, args, ...rest) {
      if (file !== process.execPath) return original.call(this, file, args, ...rest);
      // args is optional in all four: an options object or callback may stand in its place.
      if (!Array.isArray(args)) [args, rest] = [[], args === undefined ? rest : [args, ...rest]];
      return original.call(this, emulator[0], [...emulator.slice(1), file, ...args], ...rest);
    };
  }
  // `import { execFileSync } from 'node:child_process'` reads the ES module
  // view of the builtin, which only picks up the change when told to.
  syncBuiltinESMExports();
}

// Whether this Node runs under an emulator (qemu-user), so that a summary
// can say its times are not comparable with a native run's, and the
// emulator the benchmark processes must be started behind.
//
// qemu-user answers uname(2) and /proc/self/* (and, since 8.x, /proc/cpuinfo)
// for the guest, but not /proc/sys/kernel/arch, which keeps naming the host
// kernel's machine (Linux 6.1 and later). Where that file is missing, the
// emulator matrix.mjs names in CARO_MATRIX_EMULATOR (a JSON argv, such as
// ["qemu-aarch64","-L","/usr/aarch64-linux-gnu"]) is the only sign.

import { readFileSync } from 'node:fs';

/** Kernel machine names (uname -m) and the Node arches that run natively on them. */
const NATIVE_ARCHES: Record<string, string[]> = {
  x86_64: ['x64', 'ia32'],
  i686: ['ia32'],
  aarch64: ['arm64', 'arm'],
  armv7l: ['arm'],
  ppc64le: ['ppc64'],
  s390x: ['s390x'],
  riscv64: ['riscv64'],
  loongarch64: ['loong64'],
};

/**
 * Emulated when an emulator is named, or when the host kernel's machine is
 * known and does not run `arch` natively.
 */
export function isEmulated(arch: string, kernelMachine: string | undefined, emulator: readonly string[]): boolean {
  if (emulator.length > 0) return true;
  const native = kernelMachine === undefined ? undefined : NATIVE_ARCHES[kernelMachine];
  return native !== undefined && !native.includes(arch);
}

/** The emulator that benchmark processes are started behind, from CARO_MATRIX_EMULATOR; none by default. */
export function emulator(): string[] {
  const text = process.env.CARO_MATRIX_EMULATOR;
  if (text === undefined || text === '') return [];
  const argv: unknown = JSON.parse(text);
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
    throw new RangeError(`CARO_MATRIX_EMULATOR must be a JSON array of strings, got ${text}`);
  }
  return argv;
}

/** The host kernel's machine, from /proc/sys/kernel/arch; undefined where there is none (not Linux, or before 6.1). */
function kernelMachine(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/arch', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Whether this process runs under an emulator. */
export function emulated(): boolean {
  return isEmulated(process.arch, kernelMachine(), emulator());
}

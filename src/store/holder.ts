// Who a process is, in terms that survive PID namespaces and pid reuse, and
// whether such a process is still alive as seen from this one.
//
// A pid alone names no process: two containers sharing a cache volume both
// run as pid 1, and a pid is reused once its process is gone. So a holder is
// named by its host name, the kernel's boot id, its PID namespace, its pid and
// the time it started (/proc/<pid>/stat field 22, in clock ticks since boot).
// Only a holder on this boot and in this PID namespace can be checked: its
// pid is looked up in /proc, and a missing process, a zombie or a process
// with another start time (the pid was reused) is dead. For any other holder
// (another namespace, another machine) liveness is unknown here; the lock
// (lock.ts) then goes by its heartbeat.
//
// Without /proc (not Linux) boot id, namespace and start time are empty, and
// a holder on this host is checked with kill(pid, 0), as there are no PID
// namespaces to mistake it for.
//
// Temporary files in the store's tmp/ are named by their writer's pid, and
// here also by a tag of its boot and namespace, so that recovery in another
// container does not take a live writer's file for a dead one's.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';

export interface Holder {
  pid: number;
  host: string;
  /** The kernel's boot id; empty when unknown. */
  bootId: string;
  /** The PID namespace, as /proc/self/ns/pid names it (`pid:[4026531836]`); empty when unknown. */
  pidNamespace: string;
  /** When the process started, in clock ticks since boot; empty when unknown. */
  startTime: string;
  /** When it took the lock, ISO 8601; empty when unknown. */
  since: string;
}

export type Liveness = 'alive' | 'stopped' | 'dead' | 'unknown';

function readOr(read: () => string, fallback: string): string {
  try {
    return read();
  } catch {
    return fallback;
  }
}

interface ProcStat {
  state: string;
  startTime: string;
}

/** State and start time of a process in this PID namespace; undefined when there is none (or no /proc). */
function procStat(pid: number | 'self'): ProcStat | undefined {
  const text = readOr(() => readFileSync(`/proc/${pid}/stat`, 'latin1'), '');
  // The command name, in parentheses, may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (fields.length < 20) return undefined;
  return { state: fields[0]!, startTime: fields[19]! };
}

/** This process, as a holder names it. */
export const self: Readonly<Omit<Holder, 'since'>> = Object.freeze({
  pid: process.pid,
  host: hostname(),
  bootId: readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim(), ''),
  pidNamespace: readOr(() => readlinkSync('/proc/self/ns/pid'), ''),
  startTime: procStat('self')?.startTime ?? '',
});

/** Whether `holder` is in this PID namespace on this boot, so that its pid can be looked up here. */
function checkableHere(holder: Holder): boolean {
  return self.bootId !== '' && holder.bootId === self.bootId && holder.pidNamespace === self.pidNamespace;
}

/** Whether a process with this pid exists here; EPERM means it exists under another user. */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `holder` still runs, for a holder that is not this process (whose
 * own locks the caller recognises by their token).
 */
export function liveness(holder: Holder): Liveness {
  if (checkableHere(holder)) {
    const stat = procStat(holder.pid);
    // /proc mounted with hidepid hides other users' processes: one that exists is taken for alive.
    if (stat === undefined) return processAlive(holder.pid) ? 'alive' : 'dead';
    // Z: exited but not yet reaped; X: being reaped.
    if (stat.state === 'Z' || stat.state === 'X') return 'dead';
    if (stat.startTime !== holder.startTime) return 'dead';
    // A holder with our pid and start time but another token: impossible unless it is us, and our tokens are known.
    if (holder.pid === process.pid) return 'dead';
    return stat.state === 'T' || stat.state === 't' ? 'stopped' : 'alive';
  }
  // No namespaces to tell apart without /proc, or a holder of an older version that did not name them.
  if (holder.bootId === '' && holder.host === self.host) {
    if (holder.pid === process.pid) return 'dead';
    return processAlive(holder.pid) ? 'alive' : 'dead';
  }
  return 'unknown';
}

/** This process's boot and PID namespace, in the names of its temporary files. */
const namespaceTag = createHash('sha256').update(`${self.bootId}\n${self.pidNamespace}`).digest('hex').slice(0, 8);
/** A temporary file named by `tempName` (pid, namespace tag, random part) or a partial download (the tag, then its key). */
const TAGGED_TEMP = /^\d+-([0-9a-f]{8})(?:[0-9a-f]{16}|[0-9a-f]{32})\.(part|download|json)$/;
/** A writer in another namespace is taken to be alive while its file changed this recently. */
const FOREIGN_TEMP_QUIET_MS = 10 * 60_000;

/** A name for a temporary file of this process (`<pid>-<hex>.<kind>`); `body` (hex) names it, else a random part. */
export function tempName(kind: string, body = randomBytes(8).toString('hex')): string {
  return `${process.pid}-${namespaceTag}${body}.${kind}`;
}

/** The temporary files this process is writing, in any store: a path is added before its file is created. */
export const writing = new Set<string>();

/** Whether the process that names the temporary file `path` with `pid` may still be writing it. */
export function writerAlive(path: string, pid: number): boolean {
  const tag = TAGGED_TEMP.exec(basename(path))?.[1];
  if (tag !== undefined && tag !== namespaceTag) {
    // Its pid means nothing here: only a file left alone for long is a dead writer's.
    const stats = statSync(path, { throwIfNoEntry: false });
    return stats !== undefined && Date.now() - stats.mtimeMs < FOREIGN_TEMP_QUIET_MS;
  }
  return pid === process.pid ? writing.has(path) : pid > 0 && processAlive(pid);
}

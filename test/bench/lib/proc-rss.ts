// Peak RSS of processes the benchmark did not write (nginx workers), read from outside through
// /proc: reset the kernel's high-water mark (VmHWM, via /proc/<pid>/clear_refs) before a transfer,
// read it after. Needs Linux and permission to write clear_refs (the same user, or root); without
// it, reset() reports false and the figure is the VmHWM since the process started.
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The worker processes of the nginx whose prefix directory is `dir` (pid file `dir/nginx.pid`). */
export function nginxWorkers(dir: string): number[] {
  try {
    const master = Number(readFileSync(path.join(dir, 'nginx.pid'), 'utf8').trim());
    return readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface ProcPeak {
  /** Resets the peak of every process to its current RSS; false if any reset was refused. */
  reset(): boolean;
  /** Summed growth of the processes' peak RSS over their RSS at reset(), MiB (NaN if unreadable). */
  growthMiB(): number;
}

/** Tracks the summed peak RSS of `pids` (taken once: restarts are not followed). */
export function procPeak(pids: number[]): ProcPeak {
  let base = new Map<number, number>();
  return {
    reset() {
      let ok = pids.length > 0;
      base = new Map();
      for (const pid of pids) {
        try {
          writeFileSync(`/proc/${pid}/clear_refs`, '5');
        } catch {
          ok = false;
        }
        base.set(pid, statusField(pid, 'VmRSS') ?? Number.NaN);
      }
      return ok;
    },
    growthMiB() {
      let sum = 0;
      for (const pid of pids) sum += (statusField(pid, 'VmHWM') ?? Number.NaN) - (base.get(pid) ?? Number.NaN);
      return pids.length ? sum / 1024 / 1024 : Number.NaN;
    },
  };
}

/**
 * CPU seconds (user + system) that processes have used since they started, from
 * /proc/<pid>/stat (clock ticks of 1/100 s, Linux's USER_HZ); NaN where unreadable.
 */
export function procCpuSeconds(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces) start at index 2 of `state …`.
      const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()?.split(' ') ?? [];
      sum += (Number(rest[11]) + Number(rest[12])) / 100;
    } catch {
      return Number.NaN;
    }
  }
  return pids.length ? sum : Number.NaN;
}

/**
 * Established (or connecting) TCP connections that process `pid` holds to `remotePort`: its
 * socket inodes (/proc/<pid>/fd) matched against /proc/net/tcp and tcp6. NaN where unreadable.
 */
export function tcpConnectionsTo(pid: number, remotePort: number): number {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m?.[1]) inodes.add(m[1]);
      } catch {
        // closed while listing
      }
    }
  } catch {
    return Number.NaN;
  }
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [remote, state, inode] = [f[2], f[3], f[9]];
      if (!remote || !inode || !inodes.has(inode)) continue;
      // 01 ESTABLISHED, 02 SYN_SENT
      if ((state === '01' || state === '02') && Number.parseInt(remote.split(':')[1] ?? '', 16) === remotePort) count++;
    }
  }
  return count;
}

// What the bench reads about a process from /proc: resident memory and CPU time.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

let clockTicks: number | undefined;
/** The kernel's clock ticks per second, asked once, when first needed. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15, in clock ticks). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces: count from the closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return 0;
  }
}

/**
 * The CPU time (seconds) the PostgreSQL server on this machine has used: every `postgres` process
 * (backends, WAL writer, checkpointer…) and what the ones that ended had used (the postmaster's
 * children's times, /proc stat fields 16 and 17), so a backend that exits during a stretch still
 * counts. Read before and after a stretch, the difference is the database's share of the machine:
 * with PostgreSQL on the same cores, what a request costs in all. Every cluster on the machine
 * counts, so it means something only while the bench's is the one at work.
 */
export function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      if (!(argv0.startsWith('postgres:') || argv0.endsWith('/postgres'))) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // the process ended meanwhile: its time is now in the postmaster's children's
    }
  }
  return ticks / ticksPerSecond();
}

/** Samples a process's resident set every 100 ms; stop() returns the largest sample (MB). */
export function rssSampler(pid: number) {
  let peak = statusKb(pid, 'VmRSS');
  const timer = setInterval(() => {
    peak = Math.max(peak, statusKb(pid, 'VmRSS'));
  }, 100);
  return {
    stop(): number {
      clearInterval(timer);
      peak = Math.max(peak, statusKb(pid, 'VmRSS'));
      return Math.round(peak / 1024);
    },
  };
}

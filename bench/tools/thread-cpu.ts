import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds a process has used, user and system, its ended threads' included. */
export function processCpu(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/**
 * CPU seconds a process has used, per thread name: "main thread", and the others by the name
 * the kernel knows them by ("node threads" for libuv's pool and V8's helpers). Read from
 * /proc, so it holds while other work loads the machine.
 */
export function threadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // libuv's pool threads carry the process's name: tell the main thread by its id.
      const name =
        tid === String(pid)
          ? 'main thread'
          : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))} threads`;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {} // a thread that ended between the listing and the read
  }
  return byName;
}

/** "  main thread: 351 µs per request" for each thread name that used CPU since `before`. */
export function perRequestLines(
  after: Map<string, number>,
  before: Map<string, number>,
  requests: number,
): string[] {
  const lines: string[] = [];
  for (const [name, seconds] of after) {
    const used = seconds - (before.get(name) ?? 0);
    if (used > 0) lines.push(`  ${name}: ${Math.round((used * 1e6) / requests)} µs per request`);
  }
  return lines;
}

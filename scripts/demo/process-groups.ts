/**
 * Whether a process, or any process of a process group, is still running. Zombies do not count: a process that
 * exited but whose parent has not reaped it yet (the demo's children are reparented when the demo dies) runs
 * nothing, and signal 0 would still find it. Reads /proc where there is one, else asks with signal 0.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** A positive pid: that process; a negative one: every process of that group. */
export function isRunning(target: number): boolean {
  const members = livingProcesses();
  if (!members) return answersSignalZero(target);
  return members.some(({ pid, group }) => (target > 0 ? pid === target : group === -target));
}

/** The pids of the living processes of these groups. */
export function livingMembersOfGroups(groups: readonly number[]): number[] {
  const members = livingProcesses();
  if (!members) return groups.filter((group) => answersSignalZero(-group));
  return members.filter(({ group }) => groups.includes(group)).map(({ pid }) => pid);
}

function livingProcesses(): { pid: number; group: number }[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  return entries.flatMap((entry) => {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the command name (in parentheses, may hold spaces): state, parent pid, process group, …
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return state === 'Z' || state === 'X' ? [] : [{ pid: Number(entry), group: Number(group) }];
    } catch {
      return []; // gone meanwhile
    }
  });
}

function answersSignalZero(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch {
    return false;
  }
}

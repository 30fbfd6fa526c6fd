/**
 * One keyring change at a time. create-key and rotate-key read the keyring, add a key and write it back whole; two
 * at once would each write what they read plus their own key, and one key would be lost with whatever it sealed.
 *
 * The lock is a file next to the keyring (`<keyring>.lock`), created exclusively and whole: its content (owner pid,
 * host, a token of this acquisition) is written aside and hard-linked into place, which fails if a lock exists, so
 * no one ever reads a lock without its owner. A second command waits for the lock, then reports who holds it.
 * Stale locks: one whose owner is a process of this host that no longer runs is taken over; one of a live process
 * (or of another host, whose processes cannot be checked) is never broken. Taking over happens under a second,
 * short-lived exclusive file (`<keyring>.lock.breaking`) and only if the lock is still the stale one seen, so two
 * commands finding the same stale lock cannot both end up holding the keyring.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { SecretBoxError } from './secret-box';

export interface KeyringLockOptions {
  /** How long to wait for a lock another command holds. Default 15 s: a keyring change takes milliseconds. */
  waitMs?: number;
  /** How often to look again while waiting. Default 25 ms. */
  pollMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

export function keyringLockPath(keyringPath: string): string {
  return `${keyringPath}.lock`;
}

/** Runs `change` holding the keyring's lock; the keyring's folder must exist. */
export async function withKeyringLock<T>(
  keyringPath: string,
  change: () => T,
  options: KeyringLockOptions = {},
): Promise<T> {
  const lockPath = keyringLockPath(keyringPath);
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  await acquire(lockPath, owner, keyringPath, options);
  try {
    return change();
  } finally {
    release(lockPath, owner);
  }
}

async function acquire(lockPath: string, owner: LockOwner, keyringPath: string, options: KeyringLockOptions) {
  const waitUntil = Date.now() + (options.waitMs ?? 15_000);
  const pollMs = options.pollMs ?? 25;
  for (;;) {
    if (createExclusively(lockPath, JSON.stringify(owner))) return;
    const holder = readOwner(lockPath);
    if (holder === 'absent') continue; // released between our attempt and our look: try again at once
    if (holder !== 'unreadable' && isGone(holder) && takeOverStale(lockPath, holder)) continue;
    if (Date.now() >= waitUntil) throw lockHeld(keyringPath, lockPath, holder);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

function release(lockPath: string, owner: LockOwner): void {
  const holder = readOwner(lockPath);
  if (typeof holder === 'object' && holder.token === owner.token) unlinkSync(lockPath);
}

/** Creates `path` holding `content`, whole, or returns false when it exists. */
function createExclusively(path: string, content: string): boolean {
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, content, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}

function readOwner(lockPath: string): LockOwner | 'absent' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isInteger(parsed.pid) && typeof parsed.host === 'string' && typeof parsed.token === 'string') {
      return parsed as LockOwner;
    }
  } catch {
    // not ours: a file someone else put there; reported, never removed
  }
  return 'unreadable';
}

/** Only a process of this host can be checked; signal 0 tests for it without touching it. */
function isGone(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Removes the stale lock if it is still the one seen; true when the way is clear to try again. */
function takeOverStale(lockPath: string, stale: LockOwner): boolean {
  const breaking = `${lockPath}.breaking`;
  if (!createExclusively(breaking, JSON.stringify({ pid: process.pid, host: hostname() }))) return false;
  try {
    const now = readOwner(lockPath);
    if (typeof now === 'object' && now.token === stale.token) unlinkSync(lockPath);
    return true;
  } finally {
    unlinkSync(breaking);
  }
}

function lockHeld(keyringPath: string, lockPath: string, holder: LockOwner | 'unreadable'): SecretBoxError {
  const who = typeof holder === 'object' ? `process ${holder.pid} on ${holder.host}` : 'an unknown owner';
  return new SecretBoxError(
    `${keyringPath} is being changed by another secrets command (${who} holds ${lockPath}); try again when it ` +
      `has finished, or remove ${lockPath} (and ${lockPath}.breaking, if present) if that process no longer runs`,
  );
}

/**
 * Keeps the simulator's state in a JSON file so the demo survives a restart: loaded at start, saved a moment
 * after changes (debounced), and saved once more on close. Writes go to a temporary file renamed into place,
 * so a crash mid-write never leaves a truncated state file. A save serializes the whole store on the event loop,
 * so with a large store (a fleet's runs) saves space out to keep them to a fifth of the time.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Store, StoreSnapshot } from './store';

const saveDelayMs = 250;
/** The wait after a change is at least this many times as long as the last save took. */
const idleToSaveRatio = 4;

export class StatePersistence {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;
  private lastSaveMs = 0;

  constructor(
    private readonly store: Store,
    private readonly file: string,
  ) {}

  /** Restores the store from the file; a missing file means a fresh start. */
  async load(): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    this.store.restore(JSON.parse(text) as StoreSnapshot);
    return true;
  }

  /** Starts saving after changes. */
  watch(): void {
    this.store.onChange(() => this.scheduleSave());
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.save();
  }

  private scheduleSave(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.save().catch((error: unknown) => console.error('simulator: could not save state:', error));
      },
      Math.max(saveDelayMs, idleToSaveRatio * this.lastSaveMs),
    );
    this.timer.unref();
  }

  /** Saves are chained so two never write the temporary file at once. */
  private save(): Promise<void> {
    this.saving = this.saving.catch(() => undefined).then(() => this.write());
    return this.saving;
  }

  private async write(): Promise<void> {
    const startedAt = Date.now();
    const temporary = `${this.file}.${process.pid}.tmp`;
    await mkdir(dirname(this.file), { recursive: true });
    await writeFile(temporary, JSON.stringify(this.store.snapshot()));
    await rename(temporary, this.file);
    this.lastSaveMs = Date.now() - startedAt;
  }
}

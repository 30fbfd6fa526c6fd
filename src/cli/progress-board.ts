/**
 * The live view of bulk `provision`: one row per dataflow (sandbox/name, steps done out of 8, the steps running
 * now, how it ended). On a terminal the rows are redrawn in place; elsewhere (a pipe, a CI log) each row is
 * printed again whenever it changes, with no cursor codes.
 */
import type { ProvisioningPhase, ProvisioningProgress } from '../contracts/provisioning-messages';
import { provisioningSteps } from '../contracts/provisioning-steps';
import type { CommandIo } from '../runtime/command-io';

export interface BoardRow {
  /** sandbox/name */
  label: string;
  /** Steps done or found already there. */
  stepsDone: number;
  /** Titles of the steps running now (several at once when steps run in parallel). */
  runningSteps: string[];
  /** What it is doing when no step runs, e.g. "started" or "rolling back". */
  activity: string;
  /** How it ended; the row is final once set. */
  outcome?: string;
}

export interface TerminalSize {
  columns: number;
  rows: number;
}

const phaseWords: Record<ProvisioningPhase, string> = {
  'looking-for-existing': 'looking for existing resources',
  provisioning: 'provisioning',
  compensating: 'rolling back',
  'starting-monitor': 'starting the monitor',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** A row's step counts and activity as a progress query answered them. */
export function rowProgress(progress: ProvisioningProgress): Pick<BoardRow, 'stepsDone' | 'runningSteps' | 'activity'> {
  return {
    stepsDone: progress.steps.filter((step) => step.state === 'done' || step.state === 'reused').length,
    runningSteps: progress.steps.filter((step) => step.state === 'running').map((step) => step.title),
    activity: phaseWords[progress.phase],
  };
}

export class ProgressBoard {
  private readonly rows = new Map<string, BoardRow>();
  private readonly printed = new Map<string, string>();
  private hint: string | undefined;
  private linesOnScreen = 0;
  private lastDrawing = '';

  /** `terminal` gives the terminal's size when stdout is one; without it, rows are printed as they change. */
  constructor(
    private readonly io: CommandIo,
    private readonly terminal?: () => TerminalSize,
  ) {}

  /** A dataflow not started yet: drawn on a terminal, but not worth a line of its own elsewhere. */
  add(row: BoardRow): void {
    this.rows.set(row.label, row);
  }

  update(row: BoardRow): void {
    this.rows.set(row.label, row);
    if (this.terminal) return;
    const text = `${row.label}: ${rowState(row)}`;
    if (this.printed.get(row.label) === text) return;
    this.printed.set(row.label, text);
    this.io.out(text);
  }

  /** A line under the rows (on a terminal), or printed once (elsewhere), e.g. "is a worker running?". */
  showHint(text: string): void {
    this.hint = text;
    if (!this.terminal) this.io.out(text);
  }

  /** The hint no longer applies (on a terminal it goes away; elsewhere its line stays in the log). */
  clearHint(): void {
    this.hint = undefined;
  }

  /** Redraws the rows in place on a terminal; elsewhere rows were already printed as they changed. */
  render(): void {
    if (!this.terminal) return;
    const { columns, rows: height } = this.terminal();
    const lines = this.visibleLines(Math.max(2, height - 1)).map((line) => fit(line, Math.max(20, columns - 1)));
    const drawing = lines.join('\n');
    if (drawing === this.lastDrawing) return;
    // Back to the first line of the last drawing, clear everything below, draw again.
    const back = this.linesOnScreen > 0 ? `\x1b[${this.linesOnScreen}F` : '';
    this.io.out(`${back}\x1b[J${drawing}\n`);
    this.linesOnScreen = lines.length;
    this.lastDrawing = drawing;
  }

  /** Rows that fit the terminal: unfinished ones first when not all fit, then a line counting the rest. */
  private visibleLines(maximum: number): string[] {
    const rows = [...this.rows.values()];
    const width = Math.max(...rows.map((row) => row.label.length), 0);
    const text = (row: BoardRow) => `${row.label.padEnd(width)}  ${rowState(row)}`;
    const room = maximum - (this.hint ? 1 : 0);
    let lines: string[];
    if (rows.length <= room) {
      lines = rows.map(text);
    } else {
      const shown = new Set(
        [...rows.filter((row) => !row.outcome), ...rows.filter((row) => row.outcome)].slice(0, room - 1),
      );
      const hidden = rows.filter((row) => !shown.has(row));
      const finished = hidden.filter((row) => row.outcome).length;
      lines = [
        ...rows.filter((row) => shown.has(row)).map(text),
        `… and ${hidden.length} more (${finished} of them finished)`,
      ];
    }
    return this.hint ? [...lines, this.hint] : lines;
  }
}

function rowState(row: BoardRow): string {
  const steps = `${row.stepsDone}/${provisioningSteps.length}`;
  if (row.outcome) return `${steps}  ${row.outcome}`;
  return `${steps}  ${row.runningSteps.length > 0 ? `running: ${row.runningSteps.join(', ')}` : row.activity}`;
}

/** Cut to the terminal's width: a wrapped line would throw off the count of lines to redraw. */
function fit(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}

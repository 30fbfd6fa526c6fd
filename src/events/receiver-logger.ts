/**
 * What the events receiver logs with. Temporal's Logger fits it, so the worker's redacting JSON logger can be
 * passed in; the default writes one JSON line per entry to stderr. Entries never carry a request body.
 */
export interface EventsReceiverLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export const stderrJsonLogger: EventsReceiverLogger = {
  info: (message, meta) => writeLine('info', message, meta),
  warn: (message, meta) => writeLine('warn', message, meta),
  error: (message, meta) => writeLine('error', message, meta),
};

function writeLine(level: string, message: string, meta: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...meta })}\n`);
}

/**
 * Markdown shown in the Temporal Web UI (workflow details). The UI renders it in a frame that clips the last
 * line or so: an invisible padding line (a no-break space, which markdown does not drop) keeps every real
 * line in view. The UI itself tells readers to press R for fresh details.
 */
const paddingLine = '\u00a0';

export function forWebUi(lines: string[]): string {
  return [...lines, '', paddingLine].join('\n');
}

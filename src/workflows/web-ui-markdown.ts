/**
 * Markdown shown in the Temporal Web UI (workflow details). The UI renders it in a frame that clips the last
 * line, and fetches current details only when the page loads: a closing hint line fixes both for the reader.
 */
export const webUiRefreshHint = '_Details as of page load: press R in the Web UI to refresh._';

export function forWebUi(lines: string[]): string {
  return [...lines, '', webUiRefreshHint, ''].join('\n');
}

/** Workflow history payloads hold their JSON as base64 bytes: decoded, a plaintext secret in one is findable. */
export function decodedPayloads(historyJson: string): string {
  const decoded: string[] = [];
  JSON.parse(historyJson, (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string') decoded.push(Buffer.from(value, 'base64').toString('utf8'));
    if (key === 'data' && typeof value === 'object' && value !== null) {
      decoded.push(Buffer.from(Object.values(value as Record<string, number>)).toString('utf8'));
    }
    return value;
  });
  return decoded.join('\n');
}

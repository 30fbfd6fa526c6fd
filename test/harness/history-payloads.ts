/** Reading workflow history payloads: the JSON they hold, whole or one payload at a time. */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

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

/** One payload of a fetched history (a signal's argument, an activity's result) as the value it carries, if any. */
export function payloadValue(payload: temporal.api.common.v1.IPayload | null | undefined): unknown {
  if (!payload?.data) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined;
  }
}

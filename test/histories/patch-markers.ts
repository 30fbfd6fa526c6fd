/**
 * The patch markers a recorded history holds: `patched(id)` on a workflow's first run through a change records a
 * MARKER_RECORDED event named `core_patch` whose details carry, under `patch-data`, a payload (json/plain with
 * SDK 1.24) of `{ id, deprecated }`. Decoded with the SDK's payload converter, never by matching bytes.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { LoadedHistory } from './history-files';

const patchMarkerName = 'core_patch';
const patchDataKey = 'patch-data';

export interface PatchMarker {
  id: string;
  deprecated: boolean;
}

export function patchMarkersIn(recorded: LoadedHistory): PatchMarker[] {
  const markers: PatchMarker[] = [];
  for (const event of recorded.history.events) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== patchMarkerName) continue;
    const [payload] = marker.details?.[patchDataKey]?.payloads ?? [];
    if (!payload) {
      const keys = Object.keys(marker.details ?? {}).join(', ') || 'none';
      throw new Error(`${recorded.file}: a ${patchMarkerName} marker without ${patchDataKey} (details: ${keys})`);
    }
    const data = defaultPayloadConverter.fromPayload<Partial<PatchMarker>>(payload);
    if (typeof data?.id !== 'string' || data.id === '') {
      throw new Error(`${recorded.file}: a ${patchMarkerName} marker whose ${patchDataKey} has no id`);
    }
    markers.push({ id: data.id, deprecated: data.deprecated === true });
  }
  return markers;
}

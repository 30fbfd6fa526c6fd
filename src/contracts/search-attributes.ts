/**
 * Search attributes that make dataflows findable in the Web UI and `list`, e.g.
 * `DataflowSandbox = "prod" AND DataflowStage = "dataset"`. Registered by src/temporal/register-search-attributes.ts.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DataflowSandbox = defineSearchAttributeKey('DataflowSandbox', SearchAttributeType.KEYWORD);
export const DataflowName = defineSearchAttributeKey('DataflowName', SearchAttributeType.KEYWORD);
/** The provisioning step running now, then `done` or `failed:<step>`. */
export const DataflowStage = defineSearchAttributeKey('DataflowStage', SearchAttributeType.KEYWORD);
/** The monitor's view of the dataflow: healthy, failing, token-expiring, token-expired, paused, ... */
export const DataflowState = defineSearchAttributeKey('DataflowState', SearchAttributeType.KEYWORD);

export const dataflowSearchAttributes = [DataflowSandbox, DataflowName, DataflowStage, DataflowState] as const;

/** Structured facts about a failed call, carried as the ApplicationFailure's first detail. */
export interface AepFailureDetails {
  step: string;
  status?: number;
  code?: string;
  /** AEP's (or OneTrust's) own message, or ours when neither answered (see `saidBy`). */
  detail: string;
  /** Whose words `detail` is: the CLI labels only AEP's as AEP's. Absent in older histories (AEP's when a status is given). */
  saidBy?: 'AEP' | 'OneTrust' | 'worker';
  requestId?: string;
  method?: string;
  path?: string;
}

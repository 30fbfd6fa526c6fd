/**
 * The flags every dev server of this project starts with (`npm run temporal` has them in scripts/temporal.sh; the
 * tests and benchmarks take them from here), so what is measured and tested is what a laptop runs.
 *
 * - Eager activities: a worker starts an activity in the same round trip that scheduled it.
 * - SQLite in WAL mode, synced at checkpoints: every workflow task commits a transaction, and the default rollback
 *   journal syncs the file several times for each (one provisioning at +50 ms per AEP call, `npm run
 *   benchmark:provisioning`: 0.91–0.93 × the seed script's time without, 0.74–0.78 with). A power cut may lose the
 *   last transactions but never corrupts the file; production runs on PostgreSQL.
 * - One partition per task queue: the server divides a queue's rate limit among its partitions, and shared pacing
 *   keeps the organisation's AEP call rate as the provisioning queue's limit (task-queue-partitions.ts). A laptop's
 *   queues need no more than one.
 * - Priorities: a provisioning's later steps are scheduled with lower priority keys (provisioning-graph.ts), so a
 *   backlogged queue finishes provisionings under way first. The server in the CLI (1.29) serves priority keys only
 *   with its newer task matcher, which a 1.31 server uses by default.
 */
export const devServerFlags: readonly string[] = [
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
  '--sqlite-pragma',
  'journal_mode=wal',
  '--sqlite-pragma',
  'synchronous=normal',
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
  '--dynamic-config-value',
  'matching.useNewMatcher=true',
];

/**
 * Task queues. One queue does everything by default; a fleet can give monitors and run feeds their own
 * (MONITOR_TASK_QUEUE, RUN_FEED_TASK_QUEUE) so that a burst of provisioning never delays run handling, and run
 * separate workers on each (WORKER_TASK_QUEUES says which ones a worker polls).
 */
export const defaultTaskQueue = 'onetrust-dataflows';

/** The queue provisioning runs on, and the one the CLI starts workflows on. */
export function taskQueueFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.TASK_QUEUE?.trim() || defaultTaskQueue;
}

export interface TaskQueues {
  provisioning: string;
  monitors: string;
  runFeeds: string;
}

export function taskQueuesFromEnv(env: NodeJS.ProcessEnv = process.env): TaskQueues {
  const provisioning = taskQueueFromEnv(env);
  return {
    provisioning,
    monitors: env.MONITOR_TASK_QUEUE?.trim() || provisioning,
    runFeeds: env.RUN_FEED_TASK_QUEUE?.trim() || provisioning,
  };
}

/** The queues this worker polls: WORKER_TASK_QUEUES (comma-separated), else every queue above, once each. */
export function workerTaskQueuesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = (env.WORKER_TASK_QUEUES ?? '')
    .split(',')
    .map((queue) => queue.trim())
    .filter((queue) => queue !== '');
  if (listed.length > 0) return [...new Set(listed)];
  const queues = taskQueuesFromEnv(env);
  return [...new Set([queues.provisioning, queues.monitors, queues.runFeeds])];
}

/** The task queue the worker polls and the CLI starts workflows on. */
export const defaultTaskQueue = 'onetrust-dataflows';

export function taskQueueFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.TASK_QUEUE?.trim() || defaultTaskQueue;
}

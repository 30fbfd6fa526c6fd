/** Workflow ids fixed by DESIGN.md: one provisioning and one monitor per dataflow. */
export function provisionWorkflowId(sandbox: string, name: string): string {
  return `provision:${sandbox}:${name}`;
}

export function monitorWorkflowId(sandbox: string, name: string): string {
  return `dataflow:${sandbox}:${name}`;
}

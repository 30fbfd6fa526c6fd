import { Connection, Client } from '@temporalio/client';

async function main() {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const client = new Client({ connection });
  const rows: Array<{ id: string; start: number; close: number }> = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType='provisionDataflow'` })) {
    rows.push({ id: wf.workflowId, start: wf.startTime.getTime(), close: wf.closeTime?.getTime() ?? 0 });
  }
  const prefixes = [...new Set(rows.map((r) => r.id.split(':')[1]!.replace(/-\d+$/, '')))];
  for (const prefix of prefixes) {
    const of = rows.filter((r) => r.id.includes(prefix + '-')).sort((a, b) => a.close - b.close);
    if (of.length < 100) continue;
    const t0 = Math.min(...of.map((r) => r.start));
    console.log(prefix, of.length, 'closes (s):', [0.5, 0.9, 0.95, 0.99, 1].map((q) => ((of[Math.min(of.length - 1, Math.floor(q * of.length))]!.close - t0) / 1000).toFixed(1)).join(' '));
    for (const r of of.slice(-6)) {
      const { events } = await client.workflow.getHandle(r.id).fetchHistory();
      let last = t0;
      const lines: string[] = [];
      for (const e of events ?? []) {
        const at = Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
        const type = String(e.eventType);
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '';
        const ident = e.activityTaskStartedEventAttributes?.identity ?? e.workflowTaskStartedEventAttributes?.identity ?? '';
        const fail = e.activityTaskStartedEventAttributes?.lastFailure?.message ?? '';
        const attempt = e.activityTaskStartedEventAttributes?.attempt ?? '';
        if (at - last > 800 || fail) lines.push(`  +${((at - last) / 1000).toFixed(1)}s @${((at - t0) / 1000).toFixed(1)} ${e.eventId} ${type} ${name} ${ident} ${attempt} ${fail}`);
        last = at;
      }
      console.log(r.id, ((r.close - t0) / 1000).toFixed(1));
      console.log(lines.join('\n'));
    }
  }
  await connection.close();
}
main().catch((e) => { console.error(e); process.exit(1); });

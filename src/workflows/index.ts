/** Every workflow the worker runs (the workflow bundle's entry point). Messages live next to their workflow. */
export { provisionDataflow } from './provision-dataflow';
export { dataflowMonitor } from './dataflow-monitor';
export { sandboxRunFeed } from './sandbox-run-feed';
export { planDataflow } from './plan-dataflow';
export { eventsJournal } from './events-journal';

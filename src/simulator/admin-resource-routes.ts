/**
 * An admin route that changes a stored resource the way AEP's public API refuses to: it sets fields PATCH protects
 * (a flow's connection ids, a source connection's base connection). AEP's own back end and UI can leave a dataflow
 * like that; tests use it to check that the monitor notices.
 *   PATCH /__sim/resources/:kind/:id   body: top-level fields to set (null removes one); answers the resource
 * `kind` is the store's name (`flows`, `sourceConnections`, `fieldGroups`, …); `id` a schema's or field group's
 * `$id` for those kinds.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SimulatorHttpError } from './problems';
import type { RunScheduler } from './run-scheduler';
import { resourceKinds, type ResourceKind, type Store, type StoredResource } from './store';

const fieldChanges = z.record(z.string(), z.unknown());
/** What identifies a resource: never changed through this route. */
const fixedFields = new Set(['id', 'sandboxName']);

function adminError(status: number, message: string): SimulatorHttpError {
  return new SimulatorHttpError(status, { error: message });
}

export function registerAdminResourceRoutes(
  app: FastifyInstance,
  prefix: string,
  dependencies: { store: Store; scheduler: RunScheduler },
): void {
  const { store, scheduler } = dependencies;

  const find = (kind: string, id: string): { kind: ResourceKind; resource: StoredResource } => {
    if (!(resourceKinds as readonly string[]).includes(kind)) {
      throw adminError(400, `unknown resource kind "${kind}" (one of ${resourceKinds.join(', ')})`);
    }
    const resource = store.getAnywhere(kind as ResourceKind, id);
    if (!resource) throw adminError(404, `${kind} ${id} not found`);
    return { kind: kind as ResourceKind, resource };
  };

  app.patch<{ Params: { kind: string; id: string } }>(`${prefix}/resources/:kind/:id`, (request) => {
    const { kind, resource } = find(request.params.kind, request.params.id);
    const parsed = fieldChanges.safeParse(request.body);
    if (!parsed.success) throw adminError(400, `expected an object of fields to set: ${parsed.error.message}`);
    const fixed = Object.keys(parsed.data).filter((field) => fixedFields.has(field));
    if (fixed.length > 0) throw adminError(400, `the field(s) ${fixed.join(', ')} cannot be changed`);
    const updated: StoredResource = { ...resource };
    for (const [field, value] of Object.entries(parsed.data)) {
      if (value === null) delete updated[field];
      else updated[field] = value;
    }
    store.put(kind, updated);
    // A flow's schedule follows what is stored: re-arm its timer.
    if (kind === 'flows') scheduler.refresh(updated.id);
    return updated;
  });
}

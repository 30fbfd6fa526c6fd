/**
 * Every Flow Service route under /data/foundation/flowservice.
 *
 * Behaviour chosen where the docs are silent (the hardest reasonable reading for a client):
 * - Not found: 404 FLOW-1439-404 with `report.{id,type}` for every entity id (the labels doc example); unknown
 *   paths 404 FLOW-1101-404. Validation failures without a catalogued code: 400 FLOW-1100-400 naming the field.
 * - Lists: newest first (`-createdAt`) unless `orderby`; 100 items per page without `limit`, `limit` capped at
 *   1000; `count` in a list body counts that page; `_links.next.href` is `/<collection>?continuationToken=…`
 *   and the token alone carries the query; `_links` is `{}` on the last page. Filters on arrays need `[]`.
 * - Secret auth params (`format: password` in the authSpec, e.g. OneTrust `accessToken`) read back as
 *   `********`; lists filter the masked view, so a filter cannot probe a token.
 * - If-Match accepts the etag with or without quotes (and a `W/` prefix); `*` is not special.
 * - Deleting a source or target connection a flow uses: 400 FLOW-1447-400 (like 1418 for base connections).
 * - Flows need a "Mapping" transformation and scheduleParams; a startTime ≥ 1e11 is refused as milliseconds;
 *   an unchanged past startTime may stay on PATCH, a passed one may not change. `op=enable` on an enabled flow
 *   (or disable on a disabled one) is 400 FLOW-1422-400. Run completions do not change a flow's etag.
 * - Explore with a token OneTrust refuses: 400 FLOW-1100-400 "Error from flow provider: …"; `/test` answers
 *   `{result:false}`. `POST /runs` (ad hoc runs) is not simulated: the admin API starts runs.
 */
import type { FastifyInstance } from 'fastify';
import type { SimulatorContext } from '../context';
import { registerConnectionRoutes } from './connections';
import { registerFlowRoutes } from './flows';
import { registerRunRoutes } from './runs';
import { registerSourceConnectionRoutes } from './source-connections';
import { registerSpecRoutes } from './specs';
import { registerTargetConnectionRoutes } from './target-connections';

export function registerFlowServiceRoutes(
  app: FastifyInstance,
  context: SimulatorContext,
  onFlowChanged: (flowId: string) => void,
): void {
  registerConnectionRoutes(app, context);
  registerSourceConnectionRoutes(app, context);
  registerTargetConnectionRoutes(app, context);
  registerFlowRoutes(app, context, onFlowChanged);
  registerRunRoutes(app, context);
  registerSpecRoutes(app);
}

/** Every Flow Service route under /data/foundation/flowservice. */
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

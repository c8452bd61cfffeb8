import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';

/**
 * `GET /v1/scenarios` (any valid key): the code scenarios workers advertise, each with its input's
 * JSON Schema and how many live workers have it. Scenarios come only from the operators'
 * deployments (SCENARIOS_DIR): nothing here creates one.
 */
export function registerScenarioRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/scenarios', async () => ({ scenarios: await ctx.scenarios.list() }));
}

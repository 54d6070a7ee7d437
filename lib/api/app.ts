// The submit function's HTTP API (Hono). This module only composes: middleware that applies to every
// request, then the routes, each a sub-app in routes/ mounted with app.route(). Routes are declared
// with the zod schemas they validate with (schemas.ts), and /openapi.json is generated from them.
import { OpenAPIHono } from '@hono/zod-openapi';
import { loadConfig } from '../config.ts';
import { consoleEnv } from '../console/api.ts';
import { createConsole } from '../console/index.ts';
import { ExtractionSandbox } from '../extraction/sandbox.ts';
import { UploadMemory } from '../limits/upload-memory.ts';
import type { ApiDeps, Env } from './context.ts';
import { bearerAuth } from './middleware/auth.ts';
import { onProblem, routeNotFound, validationHook } from './middleware/problem.ts';
import { requestContext, requestId } from './middleware/request-id.ts';
import { bulkUploadRoutes } from './routes/bulk-upload.ts';
import { erasureRoutes } from './routes/erasure.ts';
import { evaluateRoutes } from './routes/evaluate.ts';
import { healthRoutes } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { positionEvaluationRoutes } from './routes/position-evaluations.ts';
import { positionRoutes } from './routes/positions.ts';
import { resultRoutes } from './routes/results.ts';
import { uploadRoutes } from './routes/upload.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export type { ApiDeps } from './context.ts';

export function createApp(given: ApiDeps): OpenAPIHono<Env> {
  // Defaults are the validated config's defaults (lib/config.ts); there is no in-process parser.
  const defaults = loadConfig({});
  const deps: ApiDeps = {
    ...given,
    extractor: given.extractor ?? warmed(new ExtractionSandbox(defaults.extraction)),
    limits: given.limits ?? defaults.limits,
    uploadMemory: given.uploadMemory ?? new UploadMemory(defaults.submit.uploadBufferBytes),
    keyCache: given.keyCache ?? {
      ttlMs: defaults.submit.apiKeyCacheTtlMs,
      negativeTtlMs: defaults.submit.apiKeyNegativeTtlMs,
    },
  };
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
  app.use('*', requestId());
  app.use('*', requestContext(deps.logger));
  app.onError(onProblem(deps.logger));
  app.notFound(routeNotFound);

  app.route('/', healthRoutes(deps));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'cv-evaluator',
      version: '1',
      description: 'Evaluate CVs and project reports with exactly-once effects.',
    },
  });
  // The web console (/, /app/…, /assets/…) and the offline API reference (/docs): lib/console.
  app.route(
    '/',
    createConsole({
      db: deps.db,
      api: async (path, init, clientId) =>
        app.fetch(new Request(new URL(path, 'http://console.internal'), init), consoleEnv(clientId)),
      uploadMaxBytes: deps.uploadMaxBytes,
      erasure: { publish: deps.publish, resultsTopic: deps.resultsTopic, logger: deps.logger },
      hasRoute: (method, path) => app.routes.some((r) => r.method === method && r.path === path),
      queueStats: deps.queueStats,
      offlineScreening: deps.offlineScreening,
    }),
  );

  app.use('/v1/*', bearerAuth(deps.db, deps.keyCache));
  app.route('/', uploadRoutes(deps));
  app.route('/', evaluateRoutes(deps));
  app.route('/', resultRoutes(deps));
  app.route('/', jobRoutes(deps));
  app.route('/', bulkUploadRoutes(deps));
  app.route('/', positionRoutes(deps));
  app.route('/', positionEvaluationRoutes(deps));
  app.route('/', webhookRoutes(deps));
  app.route('/', erasureRoutes(deps));
  return app;
}

/** A sandbox whose workers start loading their parsers now, not on the first upload. */
function warmed(sandbox: ExtractionSandbox): ExtractionSandbox {
  sandbox.warm();
  return sandbox;
}

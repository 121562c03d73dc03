/**
 * A real server on an ephemeral port, with an explicit access context (tests choose it per request
 * through the `x-test-context` header naming one of the contexts given here).
 */
import type { FastifyInstance } from 'fastify';
import { loadSettings } from '../../src/config/index.js';
import type { AccessContext } from '../../src/fhir/access.js';
import { fhirError } from '../../src/fhir/errors.js';
import { buildServer } from '../../src/server.js';
import type { Store } from '../../src/store/types.js';

export interface TestServer {
  app: FastifyInstance;
  baseUrl: string;
  fhirBase: string;
  get(path: string, context?: string, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startServer(store: Store, contexts: Record<string, AccessContext>): Promise<TestServer> {
  // Listen first on an ephemeral port, then build the real app with the public URL it will have.
  const probe = await import('node:net').then((net) => {
    return new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
  });
  const settings = loadSettings({ PORT: String(probe), PUBLIC_URL: `http://127.0.0.1:${probe}`, LOG_LEVEL: 'silent', RATE_LIMIT_API: '0', RATE_LIMIT_AUTH: '0' } as NodeJS.ProcessEnv);
  const app = await buildServer({
    settings,
    store,
    logger: false,
    resolveAccess: async (request) => {
      const name = request.headers['x-test-context'];
      const ctx = typeof name === 'string' ? contexts[name] : undefined;
      if (!ctx) throw fhirError('FHIR_ERR_UNAUTHORIZED', 'no test context', { headers: { 'www-authenticate': 'Bearer' } });
      return ctx;
    },
  });
  await app.listen({ port: probe, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${probe}`;
  const fhirBase = settings.fhirBaseUrl;
  return {
    app,
    baseUrl,
    fhirBase,
    async get(path, context, headers = {}) {
      const url = path.startsWith('http') ? path : `${fhirBase}/${path}`;
      const res = await fetch(url, { headers: { ...(context ? { 'x-test-context': context } : {}), ...headers } });
      const text = await res.text();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body, headers: res.headers };
    },
    async close() {
      await app.close();
    },
  };
}

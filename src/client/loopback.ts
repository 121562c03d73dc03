/**
 * @module client/loopback
 * The native app's redirect endpoint (RFC 8252 §7.3): a tiny HTTP server on 127.0.0.1 at an ephemeral
 * port that waits for the browser to come back to `/callback`, answers with a "you can close this tab"
 * page, and closes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientError } from './errors.js';

export interface LoopbackReceiver {
  redirectUri: string;
  /** The full URL the browser came back with. */
  result: Promise<string>;
  close(): Promise<void>;
}

const page = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title>` +
  `<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1b1b1b}h1{font-size:1.4rem}</style></head>` +
  `<body><main><h1>${title}</h1><p>${text}</p></main></body></html>`;

/** Listens on `127.0.0.1:{port}` (0: an ephemeral one) for `path`. */
export async function startLoopbackReceiver(options: { port?: number; path?: string; timeoutMs?: number } = {}): Promise<LoopbackReceiver> {
  const path = options.path ?? '/callback';
  let resolve!: (url: string) => void;
  let reject!: (err: Error) => void;
  const result = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  result.catch(() => undefined);
  let done = false;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (req.method !== 'GET' || url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    const error = url.searchParams.get('error');
    const html = error
      ? page('Not connected', `The server answered “${escapeHtml(url.searchParams.get('error_description') ?? error)}”. You can close this tab and go back to the terminal.`)
      : page('Connected', 'patient-access has received the authorization. You can close this tab and go back to the terminal.');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' }).end(html);
    if (!done) {
      done = true;
      resolve(url.href);
    }
  });
  await new Promise<void>((res, rej) => {
    server.once('error', (err) => rej(new ClientError('AUTHORIZATION_FAILED', `Could not listen on 127.0.0.1:${options.port ?? 0} for the redirect (${err.message}). Choose another port with --redirect-uri http://127.0.0.1:PORT/callback.`)));
    server.listen(options.port ?? 0, '127.0.0.1', res);
  });
  const port = (server.address() as AddressInfo).port;
  const timer = options.timeoutMs
    ? setTimeout(() => {
        if (!done) {
          done = true;
          reject(new ClientError('TIMEOUT', `Nobody came back to http://127.0.0.1:${port}${path} within ${Math.round(options.timeoutMs! / 1000)} s. Open the authorize URL, sign in and press Allow; run connect again.`));
        }
      }, options.timeoutMs)
    : undefined;
  timer?.unref();
  return {
    redirectUri: `http://127.0.0.1:${port}${path}`,
    result,
    close: () =>
      new Promise<void>((res) => {
        if (timer) clearTimeout(timer);
        if (!done) {
          done = true;
          reject(new ClientError('TIMEOUT', 'Stopped waiting for the redirect.'));
        }
        server.close(() => res());
        server.closeAllConnections();
      }),
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

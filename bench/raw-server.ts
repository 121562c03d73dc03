/**
 * Child process: the raw baseline. A plain node:http server answering each benchmark URL with the exact
 * bytes and headers the real server gave for it, from memory. Anything else is a 404.
 * Usage: bench/raw-server.ts <responses.json> where the file maps URL → { contentType, headers, body }.
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { exitWithParent, send } from './child.js';

export interface RecordedResponse {
  headers: Record<string, string>;
  body: string;
}

const file = process.argv[2];
if (!file) throw new Error('usage: raw-server.ts <responses.json>');
const recorded = JSON.parse(readFileSync(file, 'utf8')) as Record<string, RecordedResponse>;
const answers = new Map<string, { headers: Record<string, string | number>; body: Buffer }>();
for (const [url, r] of Object.entries(recorded)) {
  const body = Buffer.from(r.body, 'utf8');
  answers.set(url, { headers: { ...r.headers, 'content-length': body.length }, body });
}

const server = createServer((req, res) => {
  const a = answers.get(req.url ?? '');
  if (!a) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not recorded');
    return;
  }
  res.writeHead(200, a.headers);
  res.end(a.body);
});
exitWithParent(() => new Promise<void>((resolve) => server.close(() => resolve())));
server.listen(0, '127.0.0.1', () => send({ port: (server.address() as { port: number }).port }));

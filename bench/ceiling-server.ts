/**
 * The machine's ceiling: the smallest useful Node HTTP server. It reads each request body
 * (as any real server must) and answers one fixed JSON body. Run as a child process by
 * control-plane.ts so that it shares the two cores with the client the way Slipway does.
 * Prints `ceiling listening on http://127.0.0.1:<port>` when ready.
 */
import { createServer } from 'node:http';

const BODY = Buffer.from(JSON.stringify({ ok: true, note: 'slipway bench ceiling' }));
const HEADERS = {
  'Content-Type': 'application/x-amz-json-1.1',
  'Content-Length': String(BODY.length),
};

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, HEADERS);
    res.end(BODY);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.stdout.write(`ceiling listening on http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

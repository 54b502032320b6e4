/**
 * One bare proxy hop, for reference: the smallest InvokeEndpoint-shaped relay on Slipway's
 * own stack — node:http server in, undici's pooled dispatcher out (the same client and
 * settings as src/services/runtime/model-client.ts), answer relayed with the headers
 * InvokeEndpoint sends. No SigV4, no routing, no validation, no request id. Run as a child
 * process by invoke.ts beside Slipway, so it shares the two cores the same way: its CPU per
 * call is the floor for a proxy here, and its row shows what the hop alone does to
 * throughput and latency at that moment (the latency shape can differ from Slipway's).
 *
 *   node dist/bench/bare-proxy.js <model host:port>   → prints `bare proxy listening on http://127.0.0.1:<port>`
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';

const model = `http://${process.argv[2]}`;
const dispatcher = new Agent({ connections: 512, pipelining: 1, keepAliveTimeout: 4_000 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    if (req.headers['content-type']) headers['Content-Type'] = req.headers['content-type'];
    if (typeof req.headers.accept === 'string') headers.Accept = req.headers.accept;
    let status = 0;
    let answerHeaders: IncomingHttpHeaders = {};
    const answer: Buffer[] = [];
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {},
      onResponseStart(_c, s, h) {
        status = s;
        answerHeaders = h;
      },
      onResponseData(_c, chunk) {
        answer.push(chunk);
      },
      onResponseEnd() {
        const out = answer.length === 1 ? answer[0]! : Buffer.concat(answer);
        res.writeHead(status === 200 ? 200 : 424, {
          'Content-Type': (answerHeaders['content-type'] as string | undefined) ?? 'application/octet-stream',
          'x-Amzn-Invoked-Production-Variant': 'AllTraffic',
          'Content-Length': out.length,
        });
        res.end(out);
      },
      onResponseError(_c, err) {
        res.writeHead(502);
        res.end(String(err));
      },
    };
    dispatcher.dispatch({ origin: model, method: 'POST', path: '/invocations', headers, body, headersTimeout: 0, bodyTimeout: 0 }, handler);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.stdout.write(`bare proxy listening on http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

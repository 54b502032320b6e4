/**
 * A bring-your-own model server for multi-container tests, mapped through images.json as
 * `example.com/stage:*`: one stage of an inference pipeline that visibly transforms what it
 * gets, so a test can read from the final answer which containers ran, in which order, and
 * what each one received.
 *
 * - `POST /invocations`: answers `<body>|<STAGE_NAME>:<model>[<Content-Type received>]`
 *   (` accept <Accept>` inside the brackets when the request had one) with Content-Type
 *   `application/x-<STAGE_NAME>`; `<model>` is the first line of `$SM_MODEL_DIR/stage.txt`
 *   (`-` without model data). A body containing `fail@<STAGE_NAME>` is answered with
 *   `$FAIL_STATUS` (default 500) and the text `stage <STAGE_NAME> refused`. With the custom
 *   attribute `who`, it answers the custom attributes `instance=<id>,container=<hostname>`.
 * - `POST /invocations-response-stream`: the same answer in three chunks.
 * - `$STAGE_STATE` (a directory): the first start of a container of an instance leaves a mark
 *   there; a later start (a restart) answers `/ping` only after `$RESTART_PING_DELAY_MS`, so a
 *   test can watch a restarted instance stay out of routing.
 * - `EXIT_AT_START=1`: exits with code 3 before listening (a container that never gets healthy).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STAGE_IMAGE = 'example.com/stage:1';

const SERVER = `
import { createServer } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const env = process.env;
if (env.EXIT_AT_START === '1') { console.error('stage: told to exit at start'); process.exit(3); }
const name = env.STAGE_NAME ?? 'stage';
let model = '-';
try { model = readFileSync(join(env.SM_MODEL_DIR, 'stage.txt'), 'utf8').split('\\n')[0]; } catch {}
let readyAt = 0;
if (env.STAGE_STATE) {
  const mark = join(env.STAGE_STATE, env.SLIPWAY_INSTANCE_ID + '-' + (env.SLIPWAY_CONTAINER_HOSTNAME ?? 'primary'));
  if (existsSync(mark)) readyAt = Date.now() + Number(env.RESTART_PING_DELAY_MS ?? 0);
  else writeFileSync(mark, String(process.pid));
}
const server = createServer((req, res) => {
  if (req.url === '/ping') { res.writeHead(Date.now() >= readyAt ? 200 : 503).end(); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    const headers = { 'Content-Type': 'application/x-' + name };
    if ((req.headers['x-amzn-sagemaker-custom-attributes'] ?? '').includes('who')) {
      headers['X-Amzn-SageMaker-Custom-Attributes'] = 'instance=' + env.SLIPWAY_INSTANCE_ID + ',container=' + env.SLIPWAY_CONTAINER_HOSTNAME;
    }
    if (body.includes('fail@' + name)) {
      res.writeHead(Number(env.FAIL_STATUS ?? 500), { 'Content-Type': 'text/plain' }).end('stage ' + name + ' refused');
      return;
    }
    const seen = (req.headers['content-type'] ?? '') + (req.headers.accept ? ' accept ' + req.headers.accept : '');
    const answer = Buffer.from(body + '|' + name + ':' + model + '[' + seen + ']');
    if (req.url === '/invocations-response-stream') {
      res.writeHead(200, headers);
      res.flushHeaders();
      const third = Math.ceil(answer.length / 3);
      let i = 0;
      const next = () => {
        if (i >= answer.length) return res.end();
        res.write(answer.subarray(i, i + third));
        i += third;
        setTimeout(next, 20);
      };
      next();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': answer.length }).end(answer);
  });
});
server.listen(Number(env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');
process.once('SIGTERM', () => { server.close(() => process.exit(0)); server.closeAllConnections(); });
`;

/** Writes the stage server and an images.json mapping `example.com/stage:*` to it into a data directory; returns the state directory. */
export function installStageModel(dataDir: string): { state: string } {
  const state = join(dataDir, 'stage-state');
  mkdirSync(state, { recursive: true });
  writeFileSync(join(dataDir, 'stage-model.mjs'), SERVER);
  writeFileSync(join(dataDir, 'images.json'), JSON.stringify({ images: [{ image: 'example.com/stage:*', command: [process.execPath, join(dataDir, 'stage-model.mjs')] }] }));
  return { state };
}

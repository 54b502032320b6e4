/**
 * InvokeEndpoint benchmark: the built-in echo model behind one variant, driven at a fixed
 * concurrency through Slipway (SigV4-signed, verified, routed, proxied) and, in the same run,
 * straight at the same model process (the physical limit for any proxy). Every answer is
 * checked (status and echoed body); a run with any error is reported as failed.
 *
 *   npm run build && node dist/bench/invoke.js [--seconds 5] [--concurrency 32] [--rounds 2]
 *                                              [--max-requests 200000] [--body-bytes 128]
 *
 * Targets (issue 3): Slipway ≥ 50 % of the direct throughput, ≤ 1 ms added median latency,
 * Slipway's RSS < 200 MB. Slipway runs as a child process (`slipway serve`), so its RSS is
 * its own; the load generator is this process.
 *
 * Each round also drives a bare proxy (bench/bare-proxy.ts: node:http in, the same undici
 * client out, nothing else) in front of the same model: the cost of one proxy hop on this
 * machine, so that the report separates what the hop costs from what Slipway adds to it.
 * `--skip-bare-proxy` leaves it out.
 *
 * Signing: SigV4 signs method, path, headers, body hash and a timestamp, not a nonce, so one
 * signature is valid for every identical request within the 15-minute window. The load
 * generator signs once per round and replays, keeping client CPU out of the comparison; the
 * server still verifies every request in full.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { spawnChild } from './child.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const CLI = resolve(HERE, '..', 'src', 'cli.js');
const REGION = 'us-east-1';
const ENDPOINT = 'bench-echo';

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '2' },
    'max-requests': { type: 'string', default: '200000' },
    'body-bytes': { type: 'string', default: '128' },
    warmup: { type: 'string', default: '1' },
    /** Write a V8 CPU profile of the Slipway process into this directory. */
    'cpu-prof': { type: 'string' },
    'skip-bare-proxy': { type: 'boolean', default: false },
    /** Extra Node.js flags for the Slipway process, space-separated (use --slipway-node-args=--flag). */
    'slipway-node-args': { type: 'string' },
  },
});
const SECONDS = Number(opt.seconds);
const CONCURRENCY = Number(opt.concurrency);
const ROUNDS = Number(opt.rounds);
const MAX_REQUESTS = Number(opt['max-requests']);
const WARMUP = Number(opt.warmup);
const BODY = Buffer.from(JSON.stringify({ features: 'x'.repeat(Math.max(0, Number(opt['body-bytes']) - 16)) }));

const signer = new SignatureV4({ service: 'sagemaker', region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, sha256: Hash.bind(null, 'sha256') });
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });

interface Target {
  host: string;
  port: number;
}

function send(t: Target, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((res, rej) => {
    const req = http.request({ host: t.host, port: t.port, method, path, headers: { ...headers, 'content-length': String(body.length) }, agent }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
      r.on('error', rej);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end(body);
  });
}

async function signed(t: Target, path: string, headers: Record<string, string>, body: Buffer) {
  const s = await signer.sign({ method: 'POST', protocol: 'http:', hostname: t.host, port: t.port, path, headers: { host: `${t.host}:${t.port}`, ...headers }, body });
  return s.headers as Record<string, string>;
}

async function sagemaker(t: Target, op: string, input: unknown): Promise<any> {
  const body = Buffer.from(JSON.stringify(input));
  const headers = await signed(t, '/', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `SageMaker.${op}` }, body);
  const r = await send(t, 'POST', '/', headers, body);
  const out = JSON.parse(r.body.toString() || '{}');
  if (r.status !== 200) throw new Error(`${op}: ${r.status} ${r.body}`);
  return out;
}

interface Child {
  pid: number;
  target: Target;
  stop(): Promise<void>;
}

/** The bare proxy (bench/bare-proxy.ts) in front of the model at `model`. */
async function startBareProxy(model: Target): Promise<Child> {
  const c = spawnChild(process.execPath, [join(HERE, 'bare-proxy.js'), `${model.host}:${model.port}`], { ...process.env }, /listening on http:\/\/([\d.]+):(\d+)/, 10_000, 'bare proxy');
  const m = await c.readyLine;
  return { pid: c.child.pid!, target: { host: m[1]!, port: Number(m[2]) }, stop: c.stop };
}

/** `slipway serve` on a free port; ready when it logs its URL. */
async function startSlipway(dataDir: string): Promise<Child> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, SLIPWAY_LOG_LEVEL: 'warn', SLIPWAY_HOSTING_STOP_GRACE_SECONDS: '2' };
  const nodeArgs = opt['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', resolve(opt['cpu-prof'])] : [];
  nodeArgs.push(...String(opt['slipway-node-args'] ?? '').split(' ').filter(Boolean));
  const args = [...nodeArgs, CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'info'];
  // 10 s to stop: a profiled Slipway writes its profile on the way out.
  const c = spawnChild(process.execPath, args, env, /"url":"http:\/\/([\d.]+):(\d+)"/, 20_000, 'slipway', 10_000);
  const m = await c.readyLine;
  return { pid: c.child.pid!, target: { host: m[1]!, port: Number(m[2]) }, stop: c.stop };
}

/** The echo instance logs "echo: serving on 127.0.0.1:<port>"; that is where the direct calls go. */
function findModelPort(dataDir: string): number {
  const stack = [join(dataDir, 'endpoints')];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) stack.push(p);
      else if (name.endsWith('.log')) {
        const m = /serving on 127\.0\.0\.1:(\d+)/.exec(readFileSync(p, 'utf8'));
        if (m) return Number(m[1]);
      }
    }
  }
  throw new Error('model server port not found in the instance logs');
}

/** User+system CPU of a process in ms (Linux /proc; clock ticks are 100 Hz). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** The pid listening on a loopback port (the model server), from /proc/net/tcp and the fd links. */
function pidOfPort(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inode = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((c) => c[1]?.endsWith(`:${hex}`) && c[3] === '0A')?.[9];
  if (!inode) return undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return Number(pid);
        } catch {
          /* fd closed meanwhile */
        }
      }
    } catch {
      /* not ours to read */
    }
  }
  return undefined;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Result {
  /** CPU ms per answered request: the proxy in front (Slipway or the bare proxy; 0 for direct), the model server, this load generator. */
  cpu?: { proxy: number; model: number; client: number };
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  firstError?: string;
}

/** Closed-loop load: `CONCURRENCY` workers, bounded by time and by MAX_REQUESTS. */
async function load(call: () => Promise<void>, seconds: number): Promise<Result> {
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let issued = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (process.hrtime.bigint() < end && issued < MAX_REQUESTS) {
        issued++;
        const t0 = process.hrtime.bigint();
        try {
          await call();
          lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message;
        }
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { requests: lat.length, errors, seconds: secs, rps: lat.length / secs, p50: q(0.5), p90: q(0.9), p99: q(0.99), firstError };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-bench-invoke-'));
  const slipway = await startSlipway(dataDir);
  const { target } = slipway;
  let bare: Child | undefined;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(slipway.pid))), 100);
  try {
    await sagemaker(target, 'CreateModel', { ModelName: 'echo', PrimaryContainer: { Image: 'slipway/echo:latest' }, ExecutionRoleArn: 'arn:aws:iam::000000000000:role/R' });
    await sagemaker(target, 'CreateEndpointConfig', {
      EndpointConfigName: 'echo',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'echo', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
    });
    await sagemaker(target, 'CreateEndpoint', { EndpointName: ENDPOINT, EndpointConfigName: 'echo' });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const d = await sagemaker(target, 'DescribeEndpoint', { EndpointName: ENDPOINT });
      if (d.EndpointStatus === 'InService') break;
      if (d.EndpointStatus === 'Failed') throw new Error(`endpoint failed: ${d.FailureReason}`);
      if (Date.now() > deadline) throw new Error('endpoint not InService within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const direct: Target = { host: '127.0.0.1', port: findModelPort(dataDir) };
    const path = `/endpoints/${ENDPOINT}/invocations`;
    const base = { 'content-type': 'application/json', accept: 'application/json' };

    const viaSlipway = (headers: Record<string, string>) => async () => {
      const r = await send(target, 'POST', path, headers, BODY);
      if (r.status !== 200 || !r.body.equals(BODY) || r.headers['x-amzn-invoked-production-variant'] !== 'AllTraffic') {
        throw new Error(`slipway answered ${r.status}: ${r.body.subarray(0, 200)}`);
      }
    };
    const toModel = async () => {
      const r = await send(direct, 'POST', '/invocations', base, BODY);
      if (r.status !== 200 || !r.body.equals(BODY)) throw new Error(`model answered ${r.status}`);
    };
    bare = opt['skip-bare-proxy'] ? undefined : await startBareProxy(direct);
    const viaBareProxy = (t: Target) => async () => {
      const r = await send(t, 'POST', path, base, BODY);
      if (r.status !== 200 || !r.body.equals(BODY)) throw new Error(`bare proxy answered ${r.status}: ${r.body.subarray(0, 200)}`);
    };

    const modelPid = pidOfPort(direct.port);
    /** Load with CPU per answered call of the proxy in front (Slipway or the bare proxy; none for direct), the model and this client. */
    const measured = async (call: () => Promise<void>, proxyPid: number | undefined): Promise<Result> => {
      const before = { p: proxyPid ? cpuMs(proxyPid) : 0, m: modelPid ? cpuMs(modelPid) : NaN, c: process.cpuUsage() };
      const r = await load(call, SECONDS);
      const c = process.cpuUsage(before.c);
      const n = Math.max(1, r.requests);
      return { ...r, cpu: { proxy: proxyPid ? (cpuMs(proxyPid) - before.p) / n : 0, model: modelPid ? (cpuMs(modelPid) - before.m) / n : NaN, client: (c.user + c.system) / 1000 / n } };
    };
    const rows: Array<{ round: number; target: string } & Result> = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const headers = await signed(target, path, base, BODY);
      await load(toModel, WARMUP);
      rows.push({ round, target: 'direct', ...(await measured(toModel, undefined)) });
      if (bare) {
        await load(viaBareProxy(bare.target), WARMUP);
        rows.push({ round, target: 'bare', ...(await measured(viaBareProxy(bare.target), bare.pid)) });
      }
      await load(viaSlipway(headers), WARMUP);
      rows.push({ round, target: 'slipway', ...(await measured(viaSlipway(headers), slipway.pid)) });
    }

    const fmt = (n: number, d = 2) => n.toFixed(d).padStart(9);
    console.log(`InvokeEndpoint benchmark: echo model, 1 variant × 1 instance, concurrency ${CONCURRENCY}, ${BODY.length}-byte JSON body, ${SECONDS} s per run, ${ROUNDS} round(s)`);
    console.log('round  target      requests  errors      req/s   p50 ms   p90 ms   p99 ms   CPU ms/req:   proxy  model client');
    for (const r of rows) {
      const c = r.cpu!;
      console.log(
        `${String(r.round).padStart(5)}  ${r.target.padEnd(9)} ${String(r.requests).padStart(10)} ${String(r.errors).padStart(7)} ${fmt(r.rps, 0)}${fmt(r.p50)}${fmt(r.p90)}${fmt(r.p99)}          ${fmt(c.proxy, 3)}${fmt(c.model, 3)}${fmt(c.client, 3)}`,
      );
    }
    console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine competes for the same cores)`);
    const best = (t: string) => rows.filter((r) => r.target === t).sort((a, b) => b.rps - a.rps)[0]!;
    const d = best('direct');
    const s = best('slipway');
    const ratio = s.rps / d.rps;
    const added = s.p50 - d.p50;
    const errors = rows.reduce((n, r) => n + r.errors, 0);
    console.log(`best rounds: Slipway ${s.rps.toFixed(0)} req/s vs direct ${d.rps.toFixed(0)} req/s = ${(ratio * 100).toFixed(1)} % (target ≥ 50 %)`);
    console.log(`added median latency: ${added.toFixed(3)} ms (Slipway p50 ${s.p50.toFixed(3)} ms − direct p50 ${d.p50.toFixed(3)} ms; target ≤ 1 ms)`);
    console.log(`Slipway peak RSS: ${peakRss.toFixed(1)} MB (target < 200 MB)`);
    if (bare) {
      // Not a target: how much of the gap is the hop itself on this machine right now.
      const b = best('bare');
      console.log(
        `bare proxy (node:http + undici, nothing else): ${b.rps.toFixed(0)} req/s = ${((b.rps / d.rps) * 100).toFixed(1)} % of direct, +${(b.p50 - d.p50).toFixed(3)} ms median; ` +
          `Slipway = ${((s.rps / b.rps) * 100).toFixed(1)} % of the bare proxy, ${(s.p50 - b.p50 >= 0 ? '+' : '')}${(s.p50 - b.p50).toFixed(3)} ms median over it`,
      );
    }
    const pass = errors === 0 && ratio >= 0.5 && added <= 1 && peakRss < 200;
    if (errors) console.log(`errors: ${errors}; first: ${rows.find((r) => r.firstError)?.firstError}`);
    console.log(pass ? 'RESULT: PASS' : 'RESULT: FAIL');
    process.exitCode = pass ? 0 : 1;
  } finally {
    clearInterval(sampler);
    agent.destroy();
    await Promise.all([bare?.stop(), slipway.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

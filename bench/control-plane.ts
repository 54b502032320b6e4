/**
 * Control-plane benchmark: real SigV4-signed JSON 1.1 requests over keep-alive HTTP against
 * Slipway (a child process), moto's server and a minimal Node server (the machine's
 * ceiling). Every answer is checked; a run with any error is reported as failed.
 *
 *   npm run bench -- [--targets slipway,moto,ceiling] [--configs 10000] [--moto-configs min(configs, 10000)]
 *                    [--seconds 10] [--requests 400000] [--concurrency 32] [--rounds 1]
 *                    [--scenarios describe,list,create-model,create-endpoint-config]
 *                    [--seed api|direct] [--warmup 2] [--cpu-prof <dir>] [--slipway-dist <dist dir>]
 *                    [--keep-data <dir>]
 *
 * See bench/README.md for what each figure means.
 */
import { createHash, createHmac } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { spawnChild } from './child.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const DIST = resolve(HERE, '..'); // dist
const HOST = '127.0.0.1';
const REGION = 'us-east-1';
const SERVICE = 'sagemaker';
const KEY_ID = 'test';
const SECRET = 'test';
const TAGS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
/** ListEndpointConfigs filter: matches one stored configuration in eight. */
const LIST_TAG = 'delta';
const ROLE = 'arn:aws:iam::000000000000:role/SageMakerRole';
const SEED_MODEL = 'bench-model';

// ---------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------
const { values: opt } = parseArgs({
  options: {
    targets: { type: 'string', default: 'slipway,moto,ceiling' },
    scenarios: { type: 'string', default: 'describe,list,create-model,create-endpoint-config' },
    configs: { type: 'string', default: '10000' },
    'moto-configs': { type: 'string' },
    seconds: { type: 'string', default: '10' },
    requests: { type: 'string', default: '400000' },
    concurrency: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '2' },
    seed: { type: 'string' },
    'cpu-prof': { type: 'string' },
    /** Another build's dist/ directory to run as the Slipway target (A/B comparisons). */
    'slipway-dist': { type: 'string' },
    /** Keep Slipway's data here (must be new or empty) instead of a removed temporary directory. */
    'keep-data': { type: 'string' },
    /** Extra Node.js flags for the Slipway process, space-separated (e.g. "--trace-gc --max-semi-space-size=16"). */
    'slipway-node-args': { type: 'string' },
    /** Append the Slipway process's stdout here (e.g. its --trace-gc lines). */
    'slipway-stdout': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split("\n").slice(1, 13).join('\n') + '\n');
  process.exit(0);
}
const intOpt = (name: string, v: string | undefined, min: number, max: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in [${min}, ${max}]`);
  return n;
};
const TARGETS = String(opt.targets).split(',').filter(Boolean);
const SCENARIOS = String(opt.scenarios).split(',').filter(Boolean);
const CONFIGS = intOpt('configs', opt.configs, 1, 1_000_000);
const MOTO_CONFIGS = intOpt('moto-configs', opt['moto-configs'] ?? String(Math.min(CONFIGS, 10_000)), 1, 100_000);
const SECONDS = intOpt('seconds', opt.seconds, 1, 600);
const MAX_REQUESTS = intOpt('requests', opt.requests, 1, 5_000_000);
const CONCURRENCY = intOpt('concurrency', opt.concurrency, 1, 1024);
const ROUNDS = intOpt('rounds', opt.rounds, 1, 20);
const WARMUP = intOpt('warmup', opt.warmup, 0, 60);
const SLIPWAY_DIST = opt['slipway-dist'] ? resolve(String(opt['slipway-dist'])) : DIST;
const SEED = opt.seed ?? (CONFIGS <= 10_000 ? 'api' : 'direct');
for (const t of TARGETS) if (!['slipway', 'moto', 'ceiling'].includes(t)) throw new Error(`unknown target ${t}`);
for (const s of SCENARIOS) {
  if (!['describe', 'list', 'create-model', 'create-endpoint-config'].includes(s)) throw new Error(`unknown scenario ${s}`);
}
if (SEED !== 'api' && SEED !== 'direct') throw new Error('--seed is api or direct');

interface Target {
  name: string;
  url: URL;
  pid: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, HOST, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

async function waitForHttp(url: URL, path: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const r = http.get({ host: url.hostname, port: url.port, path, agent: false, timeout: 1000 }, (rs) => {
        rs.resume();
        res(rs.statusCode !== undefined);
      });
      r.on('error', () => res(false));
      r.on('timeout', () => (r.destroy(), res(false)));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${url.href} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Slipway's CLI logs its "listening on <url>" line at info level, so with
 * SLIPWAY_LOG_LEVEL=warn it prints no ready line: the bench therefore picks a free port,
 * passes it with --port, and takes the first of (ready line on stdout, /_slipway/health
 * answering) as "ready".
 */
async function startSlipway(dataDir: string, cpuProfDir?: string): Promise<Target> {
  const port = await freePort();
  const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  nodeArgs.push(...String(opt['slipway-node-args'] ?? '').split(' ').filter(Boolean));
  const c = spawnChild(
    process.execPath,
    [...nodeArgs, join(SLIPWAY_DIST, 'src/cli.js'), 'serve', '--host', HOST, '--port', String(port), '--data-dir', dataDir],
    { ...process.env, SLIPWAY_LOG_LEVEL: 'warn', SLIPWAY_ACCESS_KEY_ID: KEY_ID, SLIPWAY_SECRET_ACCESS_KEY: SECRET },
    /listening on (http:\/\/[0-9.:[\]]+)/,
    20_000,
    'slipway',
  );
  if (opt['slipway-stdout']) c.child.stdout!.pipe(createWriteStream(resolve(String(opt['slipway-stdout'])), { flags: 'a' }));
  const url = new URL(`http://${HOST}:${port}`);
  await Promise.race([c.readyLine, waitForHttp(url, '/_slipway/health', 20_000)]);
  c.readyLine.catch(() => {});
  return { name: 'slipway', url, pid: c.child.pid!, stop: c.stop };
}

async function startMoto(): Promise<Target> {
  const port = await freePort();
  const c = spawnChild('python3', ['-m', 'moto.server', '-H', HOST, '-p', String(port)], { ...process.env }, /Running on/, 60_000, 'moto');
  c.readyLine.catch(() => {});
  const url = new URL(`http://${HOST}:${port}`);
  await waitForHttp(url, '/moto-api/', 60_000);
  return { name: 'moto', url, pid: c.child.pid!, stop: c.stop };
}

async function startCeiling(): Promise<Target> {
  const c = spawnChild(process.execPath, [join(HERE, 'ceiling-server.js'), '0'], { ...process.env }, /listening on (http:\/\/\S+)/, 10_000, 'ceiling');
  const m = await c.readyLine;
  return { name: 'ceiling', url: new URL(m[1]), pid: c.child.pid!, stop: c.stop };
}

/** CPU seconds (user + system) the process has used so far; NaN when unreadable. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = 100;

function rssMb(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024, anon: kb('RssAnon') / 1024, file: kb('RssFile') / 1024 };
  } catch {
    return { rss: NaN, hwm: NaN, anon: NaN, file: NaN };
  }
}

// ---------------------------------------------------------------------------------------
// SigV4 (header form), computed directly with node:crypto; the signing key is cached per
// day. Checked once against the AWS SDK's own signer before any load is sent.
// ---------------------------------------------------------------------------------------
let keyDay = '';
let signingKey: Buffer = Buffer.alloc(0);
let dateSecond = -1;
let amzDate = '';
function currentAmzDate(): string {
  const s = Math.floor(Date.now() / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    amzDate = new Date(s * 1000).toISOString().replace(/[-:]|\.\d{3}/g, '');
  }
  return amzDate;
}
function keyFor(day: string): Buffer {
  if (day !== keyDay) {
    let k: Buffer = createHmac('sha256', `AWS4${SECRET}`).update(day).digest();
    for (const part of [REGION, SERVICE, 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
    keyDay = day;
    signingKey = k;
  }
  return signingKey;
}
const SIGNED_HEADERS = 'content-type;host;x-amz-date;x-amz-target';
function sign(host: string, target: string, body: string, date: string): string {
  const day = date.slice(0, 8);
  const payloadHash = createHash('sha256').update(body).digest('hex');
  const canonical =
    `POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:${host}\nx-amz-date:${date}\nx-amz-target:${target}\n\n` +
    `${SIGNED_HEADERS}\n${payloadHash}`;
  const scope = `${day}/${REGION}/${SERVICE}/aws4_request`;
  const sts = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const sig = createHmac('sha256', keyFor(day)).update(sts).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${KEY_ID}/${scope}, SignedHeaders=${SIGNED_HEADERS}, Signature=${sig}`;
}

async function checkSignerAgainstSdk(): Promise<void> {
  const sdk = new SignatureV4({
    credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
    region: REGION,
    service: SERVICE,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  for (const [date, body] of [
    ['20261126T131400Z', '{"EndpointConfigName":"bench-cfg-000001-bravo"}'],
    ['20270101T000000Z', '{}'],
  ]) {
    const signingDate = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
    const host = '127.0.0.1:7070';
    const target = 'SageMaker.DescribeEndpointConfig';
    const out = await sdk.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 7070,
        path: '/',
        headers: { 'content-type': 'application/x-amz-json-1.1', host, 'x-amz-target': target },
        body,
      },
      { signingDate },
    );
    const ours = sign(host, target, body, date);
    if (out.headers.authorization !== ours) {
      throw new Error(`bench signer disagrees with @smithy/signature-v4:\n  sdk:  ${out.headers.authorization}\n  ours: ${ours}`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// The load loop: CONCURRENCY workers over one keep-alive agent, bounded by time and count.
// ---------------------------------------------------------------------------------------
interface Req {
  target: string;
  body: string;
  /** Returns an error description, or undefined when the answer is right. */
  check(status: number, body: string): string | undefined;
}

interface Result {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU (user + system) per request, microseconds: robust to a busy machine. */
  cpuUs: number;
  /** This client's CPU per request, microseconds (signing, HTTP, checking). */
  clientUs: number;
  samples: string[];
}

function call(agent: http.Agent, url: URL, r: Req): Promise<{ status: number; body: string }> {
  const host = url.host;
  const date = currentAmzDate();
  const target = `SageMaker.${r.target}`;
  return new Promise((res, rej) => {
    const q = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        headers: {
          Host: host,
          'Content-Type': 'application/x-amz-json-1.1',
          'Content-Length': Buffer.byteLength(r.body),
          'X-Amz-Target': target,
          'X-Amz-Date': date,
          Authorization: sign(host, target, r.body, date),
        },
      },
      (rs) => {
        let text = '';
        rs.setEncoding('utf8');
        rs.on('data', (d: string) => (text += d));
        rs.on('end', () => res({ status: rs.statusCode ?? 0, body: text }));
        rs.on('error', rej);
      },
    );
    q.on('error', rej);
    q.end(r.body);
  });
}

async function load(url: URL, next: (i: number) => Req, seconds: number, maxRequests: number, concurrency = CONCURRENCY, pid?: number): Promise<Result> {
  const cpu0 = pid ? cpuSeconds(pid) : NaN;
  const client0 = process.cpuUsage();
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const lat = new Float64Array(maxRequests);
  let issued = 0;
  let done = 0;
  let errors = 0;
  const samples: string[] = [];
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  const worker = async () => {
    while (issued < maxRequests && process.hrtime.bigint() < deadline) {
      const r = next(issued++);
      const t0 = process.hrtime.bigint();
      let problem: string | undefined;
      try {
        const { status, body } = await call(agent, url, r);
        problem = r.check(status, body);
      } catch (e) {
        problem = `${r.target}: ${(e as Error).message}`;
      }
      lat[done++] = Number(process.hrtime.bigint() - t0) / 1e6;
      if (problem) {
        errors++;
        if (samples.length < 5) samples.push(problem);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  const sorted = lat.subarray(0, done).sort();
  const pct = (p: number) => (done ? sorted[Math.min(done - 1, Math.floor((p / 100) * done))] : NaN);
  const cpuUs = ((cpuSeconds(pid ?? 0) - cpu0) * 1e6) / done;
  const c = process.cpuUsage(client0);
  const clientUs = (c.user + c.system) / done;
  return { requests: done, errors, seconds: elapsed, rps: done / elapsed, p50: pct(50), p99: pct(99), cpuUs, clientUs, samples };
}

function parse(body: string): Record<string, any> | undefined {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
const errorOf = (status: number, body: string) => `HTTP ${status} ${body.slice(0, 200)}`;

// ---------------------------------------------------------------------------------------
// Requests per scenario, with the checks of every answer.
// ---------------------------------------------------------------------------------------
const configName = (i: number) => `bench-cfg-${String(i).padStart(6, '0')}-${TAGS[i % TAGS.length]}`;
const variants = [{ VariantName: 'AllTraffic', ModelName: SEED_MODEL, InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 1 }];

function createModelReq(name: string): Req {
  return {
    target: 'CreateModel',
    body: JSON.stringify({ ModelName: name, PrimaryContainer: { Image: 'slipway/echo:latest' }, ExecutionRoleArn: ROLE }),
    check: (s, b) => {
      const o = parse(b);
      return s === 200 && typeof o?.ModelArn === 'string' && o.ModelArn.endsWith(`:model/${name.toLowerCase()}`) ? undefined : errorOf(s, b);
    },
  };
}

function createConfigReq(name: string): Req {
  return {
    target: 'CreateEndpointConfig',
    body: JSON.stringify({ EndpointConfigName: name, ProductionVariants: variants }),
    check: (s, b) => {
      const o = parse(b);
      return s === 200 && typeof o?.EndpointConfigArn === 'string' && o.EndpointConfigArn.endsWith(`:endpoint-config/${name.toLowerCase()}`)
        ? undefined
        : errorOf(s, b);
    },
  };
}

function describeReq(name: string): Req {
  return {
    target: 'DescribeEndpointConfig',
    body: JSON.stringify({ EndpointConfigName: name }),
    check: (s, b) => {
      const o = parse(b);
      if (s !== 200 || !o) return errorOf(s, b);
      if (o.EndpointConfigName !== name) return `Describe ${name}: EndpointConfigName ${o.EndpointConfigName}`;
      if (typeof o.EndpointConfigArn !== 'string' || !o.EndpointConfigArn.endsWith(`:endpoint-config/${name.toLowerCase()}`)) {
        return `Describe ${name}: EndpointConfigArn ${o.EndpointConfigArn}`;
      }
      if (typeof o.CreationTime !== 'number') return `Describe ${name}: CreationTime ${o.CreationTime}`;
      const pv = o.ProductionVariants?.[0];
      if (!pv || pv.VariantName !== 'AllTraffic' || pv.ModelName !== SEED_MODEL || pv.InstanceType !== 'ml.m5.large') {
        return `Describe ${name}: ProductionVariants ${JSON.stringify(o.ProductionVariants)}`;
      }
      return undefined;
    },
  };
}

function listReq(stored: number): Req {
  const k = TAGS.indexOf(LIST_TAG);
  const matches = Math.floor(stored / TAGS.length) + (stored % TAGS.length > k ? 1 : 0);
  const expected = Math.min(100, matches);
  return {
    target: 'ListEndpointConfigs',
    body: JSON.stringify({ MaxResults: 100, NameContains: LIST_TAG }),
    check: (s, b) => {
      const o = parse(b);
      if (s !== 200 || !o) return errorOf(s, b);
      const items = o.EndpointConfigs;
      if (!Array.isArray(items) || items.length !== expected) return `List: ${Array.isArray(items) ? items.length : typeof items} items, expected ${expected}`;
      for (const it of items) {
        if (typeof it.EndpointConfigName !== 'string' || !it.EndpointConfigName.includes(LIST_TAG) || typeof it.EndpointConfigArn !== 'string' || typeof it.CreationTime !== 'number') {
          return `List: bad item ${JSON.stringify(it)}`;
        }
      }
      if ((matches > 100) !== (typeof o.NextToken === 'string')) return `List: NextToken ${o.NextToken} with ${matches} matches`;
      return undefined;
    },
  };
}

const CEILING_REQ = (target: string): Req => ({
  target,
  body: '{}',
  check: (s, b) => (s === 200 && parse(b)?.ok === true ? undefined : errorOf(s, b)),
});

// ---------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------
async function mustLoad(url: URL, what: string, n: number, next: (i: number) => Req, concurrency = CONCURRENCY): Promise<Result> {
  const r = await load(url, next, 3600, n, concurrency);
  if (r.errors || r.requests !== n) throw new Error(`${what}: ${r.errors} errors in ${r.requests}/${n} requests: ${r.samples.join(' | ')}`);
  return r;
}

async function seedThroughApi(url: URL, n: number, label: string): Promise<number> {
  const t0 = Date.now();
  await mustLoad(url, `${label} seed model`, 1, () => createModelReq(SEED_MODEL), 1);
  await mustLoad(url, `${label} seed configs`, n, (i) => createConfigReq(configName(i)));
  return (Date.now() - t0) / 1000;
}

/**
 * Direct seeding for large stores: CreateEndpointConfig stores a template through the API
 * (so the row is exactly what the handler writes), the server stops, and the template row
 * is cloned N times with only name, ARN and times changed, through SqliteStore.insert (the
 * call the handler makes) in one transaction. The Describe scenario then checks the clones
 * through the API.
 */
async function seedDirect(dataDir: string, n: number): Promise<number> {
  const t0 = Date.now();
  const s = await startSlipway(dataDir);
  const template = 'bench-template';
  try {
    await mustLoad(s.url, 'seed model', 1, () => createModelReq(SEED_MODEL), 1);
    await mustLoad(s.url, 'seed template', 1, () => createConfigReq(template), 1);
  } finally {
    await s.stop();
  }
  const { SqliteStore } = (await import(join(SLIPWAY_DIST, 'src/store/sqlite/sqlite-store.js'))) as typeof import('../src/store/sqlite/sqlite-store.js');
  const store = new SqliteStore(join(dataDir, 'slipway.db'));
  try {
    const scope = { account: '000000000000', region: REGION };
    const row = await store.get<Record<string, unknown>>(scope, 'endpoint-config', template);
    if (!row) throw new Error('template endpoint configuration not found in the store');
    const tmplJson = JSON.stringify(row.data);
    const base = Date.now() - n - 1000;
    store.db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const name = configName(i);
        const arn = row.arn.replace(/\/[^/]+$/, `/${name.toLowerCase()}`);
        const createdAt = base + i;
        const data = JSON.parse(tmplJson.split(row.arn).join(arn).split(template).join(name));
        if ('CreationTime' in data) data.CreationTime = createdAt / 1000;
        if ('LastModifiedTime' in data) data.LastModifiedTime = createdAt / 1000;
        void store.insert(scope, { ...row, name, arn, createdAt, modifiedAt: createdAt, data });
      }
    })();
    // The template itself is newest; remove it so List sees only the seeded set.
    await store.delete(scope, 'endpoint-config', template);
  } finally {
    store.close();
  }
  return (Date.now() - t0) / 1000;
}

// ---------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------
interface Row {
  target: string;
  scenario: string;
  best: Result;
  spread: [number, number];
  stored: number;
}
const SCENARIO_TARGET: Record<string, string> = {
  describe: 'DescribeEndpointConfig',
  list: 'ListEndpointConfigs',
  'create-model': 'CreateModel',
  'create-endpoint-config': 'CreateEndpointConfig',
};

async function runTarget(t: Target, stored: number, runId: string): Promise<Row[]> {
  const rows: Row[] = [];
  const counters: Record<string, number> = {};
  const reqFor = (scenario: string): ((i: number) => Req) => {
    if (t.name === 'ceiling') return () => CEILING_REQ(SCENARIO_TARGET[scenario]);
    switch (scenario) {
      case 'describe':
        return () => describeReq(configName(Math.floor(Math.random() * stored)));
      case 'list': {
        const r = listReq(stored);
        return () => r;
      }
      case 'create-model':
        return () => createModelReq(`bench-new-model-${runId}-${(counters.m = (counters.m ?? 0) + 1)}`);
      default:
        return () => createConfigReq(`bench-new-cfg-${runId}-${(counters.c = (counters.c ?? 0) + 1)}`);
    }
  };
  // Reads first: creates add configurations, and the newest ones would sit in front of the
  // seeded set in List's CreationTime-descending walk.
  for (const scenario of SCENARIOS) {
    const next = reqFor(scenario);
    if (WARMUP) await load(t.url, next, WARMUP, MAX_REQUESTS);
    const results: Result[] = [];
    for (let k = 0; k < ROUNDS; k++) results.push(await load(t.url, next, SECONDS, MAX_REQUESTS, CONCURRENCY, t.pid));
    const best = results.reduce((a, b) => (b.errors < a.errors || (b.errors === a.errors && b.rps > a.rps) ? b : a));
    const rps = results.map((r) => r.rps);
    const errs = results.reduce((n, r) => n + r.errors, 0);
    rows.push({ target: t.name, scenario, best: { ...best, errors: errs }, spread: [Math.min(...rps), Math.max(...rps)], stored });
    const b = best;
    log(
      `  ${t.name.padEnd(8)} ${SCENARIO_TARGET[scenario].padEnd(23)} ${fmt(b.rps, 0).padStart(7)} req/s  p50 ${fmt(b.p50, 2).padStart(6)} ms  p99 ${fmt(b.p99, 2).padStart(6)} ms  CPU µs/req server ${fmt(b.cpuUs, 0).padStart(5)} client ${fmt(b.clientUs, 0).padStart(4)}  errors ${errs}` +
        (ROUNDS > 1 ? `  (rounds ${results.map((r) => `${fmt(r.rps, 0)}/s ${fmt(r.cpuUs, 0)}µs`).join(', ')})` : '') +
        (errs ? `\n      e.g. ${results.flatMap((r) => r.samples).slice(0, 3).join('\n      e.g. ')}` : ''),
    );
  }
  return rows;
}

const fmt = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const log = (s: string) => process.stdout.write(s + '\n');

async function main(): Promise<number> {
  await checkSignerAgainstSdk();
  const cpuProf = opt['cpu-prof'] ? resolve(String(opt['cpu-prof'])) : undefined;
  log(`Slipway control-plane benchmark — ${new Date().toISOString()}`);
  log(
    `node ${process.version}, concurrency ${CONCURRENCY}, ${SECONDS} s per scenario (max ${MAX_REQUESTS} requests), warm-up ${WARMUP} s, rounds ${ROUNDS}; ` +
      `client signer checked against @smithy/signature-v4`,
  );
  const rows: Row[] = [];
  let slipwayRss: { afterSeed: number; afterLoad: number; peak: number } | undefined;
  const runId = Date.now().toString(36);
  for (const name of TARGETS) {
    if (name === 'slipway') {
      const keep = opt['keep-data'] ? resolve(String(opt['keep-data'])) : undefined;
      const dataDir = keep ?? mkdtempSync(join(tmpdir(), 'slipway-bench-'));
      try {
        let seedSeconds: number;
        let t: Target;
        if (SEED === 'direct') {
          seedSeconds = await seedDirect(dataDir, CONFIGS);
          t = await startSlipway(dataDir, cpuProf);
        } else {
          t = await startSlipway(dataDir, cpuProf);
          seedSeconds = await seedThroughApi(t.url, CONFIGS, 'slipway');
        }
        try {
          const afterSeed = rssMb(t.pid).rss;
          log(
            `slipway: ${CONFIGS} endpoint configurations seeded ${SEED === 'api' ? 'through the API (CreateEndpointConfig, synchronous=FULL commits)' : 'directly into SQLite (template row cloned via SqliteStore.insert, one transaction)'} in ${seedSeconds.toFixed(1)} s; RSS after seeding ${afterSeed.toFixed(1)} MB`,
          );
          rows.push(...(await runTarget(t, CONFIGS, runId)));
          const m = rssMb(t.pid);
          slipwayRss = { afterSeed, afterLoad: m.rss, peak: m.hwm };
          log(`slipway: RSS after load ${m.rss.toFixed(1)} MB (anonymous ${m.anon.toFixed(1)}, file-backed ${m.file.toFixed(1)}), peak ${m.hwm.toFixed(1)} MB`);
        } finally {
          await t.stop();
        }
      } finally {
        if (!keep) rmSync(dataDir, { recursive: true, force: true });
      }
    } else if (name === 'moto') {
      const t = await startMoto();
      try {
        const secs = await seedThroughApi(t.url, MOTO_CONFIGS, 'moto');
        log(`moto: ${MOTO_CONFIGS} endpoint configurations seeded through the API in ${secs.toFixed(1)} s (moto ${MOTO_CONFIGS === CONFIGS ? 'has the same store size' : `has ${MOTO_CONFIGS}, not ${CONFIGS}: --moto-configs`})`);
        rows.push(...(await runTarget(t, MOTO_CONFIGS, runId)));
      } finally {
        await t.stop();
      }
    } else {
      const t = await startCeiling();
      try {
        rows.push(...(await runTarget(t, 0, runId)));
      } finally {
        await t.stop();
      }
    }
  }

  // Summary
  log('');
  log('summary (best round per scenario; spread = min–max req/s over rounds)');
  log('target   operation               stored     req/s     spread         p50 ms   p99 ms  server/client CPU µs/req  errors');
  for (const r of rows) {
    log(
      `${r.target.padEnd(8)} ${SCENARIO_TARGET[r.scenario].padEnd(23)} ${String(r.target === 'ceiling' ? '-' : r.stored).padStart(6)} ${fmt(r.best.rps, 0).padStart(9)}  ${`${fmt(r.spread[0], 0)}–${fmt(r.spread[1], 0)}`.padEnd(13)} ${fmt(r.best.p50, 2).padStart(8)} ${fmt(r.best.p99, 2).padStart(8)}  ${`${fmt(r.best.cpuUs, 0)} / ${fmt(r.best.clientUs, 0)}`.padStart(22)}  ${r.best.errors}`,
    );
  }
  const get = (t: string, s: string) => rows.find((r) => r.target === t && r.scenario === s);
  const ratios: string[] = [];
  for (const s of SCENARIOS) {
    const sl = get('slipway', s);
    const mo = get('moto', s);
    const ce = get('ceiling', s);
    if (sl && mo) ratios.push(`${SCENARIO_TARGET[s]} slipway/moto ${(sl.best.rps / mo.best.rps).toFixed(1)}x`);
    if (sl && ce) ratios.push(`${SCENARIO_TARGET[s]} slipway/ceiling ${(sl.best.rps / ce.best.rps).toFixed(2)}`);
  }
  if (ratios.length) (log(''), log('ratios (this run): ' + ratios.join('; ')));
  if (slipwayRss) {
    log(`slipway RSS: ${slipwayRss.afterSeed.toFixed(1)} MB after seeding ${CONFIGS} configurations, ${slipwayRss.afterLoad.toFixed(1)} MB after load, peak ${slipwayRss.peak.toFixed(1)} MB`);
  }

  // Targets from the issue
  const verdicts: string[] = [];
  const d = get('slipway', 'describe');
  const l = get('slipway', 'list');
  const c = get('ceiling', 'describe');
  const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');
  if (d) {
    verdicts.push(`Describe ≥ 8000 req/s: ${verdict(d.best.rps >= 8000 && !d.best.errors)} (${fmt(d.best.rps, 0)})`);
    if (c) verdicts.push(`Describe ≥ 1/3 of the ceiling (${fmt(c.best.rps / 3, 0)}): ${verdict(d.best.rps >= c.best.rps / 3 && !d.best.errors)} (${fmt(d.best.rps / c.best.rps, 2)} of it)`);
    verdicts.push(`Describe p99 ≤ 20 ms: ${verdict(d.best.p99 <= 20)} (${fmt(d.best.p99, 2)} ms)`);
  }
  if (l) {
    verdicts.push(`List ≥ 2000 req/s at ${CONFIGS} configurations: ${verdict(l.best.rps >= 2000 && !l.best.errors)} (${fmt(l.best.rps, 0)})`);
    verdicts.push(`List p99 ≤ 30 ms at ${CONFIGS} configurations: ${verdict(l.best.p99 <= 30)} (${fmt(l.best.p99, 2)} ms)`);
  }
  if (slipwayRss && CONFIGS >= 100_000) {
    verdicts.push(`RSS ≤ 150 MB at ${CONFIGS} configurations: ${verdict(slipwayRss.peak <= 150)} (peak ${slipwayRss.peak.toFixed(1)} MB)`);
  }
  if (verdicts.length) (log(''), verdicts.forEach((v) => log('target: ' + v)));
  const failed = rows.filter((r) => r.best.errors > 0);
  if (failed.length) {
    log(`\nFAILED: ${failed.map((r) => `${r.target} ${SCENARIO_TARGET[r.scenario]} (${r.best.errors} errors)`).join(', ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);

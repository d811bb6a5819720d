/**
 * Throughput and latency of the local stack (`npm run bench`).
 *
 * For each queue setting: boots the whole local stack in this process (in-memory
 * dynalite, fauxqs, the HTTP API, a poller into the consumer), enqueues N jobs
 * whose command is `/bin/true` over real HTTP (fetch, from a worker thread) with a
 * bounded number of requests in flight, waits until every one has a final status, then reads each
 * execution's `started_at` / `finished_at` and reports:
 *   - jobs/s from the first POST to the last `finished_at` (successes only);
 *   - enqueue→start latency: from the 201 arriving at the client to `started_at`
 *     (it can be slightly negative: the message is sent before the 201 is written);
 *   - the same latency on an idle stack (one job at a time), the pipeline's floor;
 *   - where the time goes: event-loop use, time blocked in spawn(), CPU, memory.
 *
 * Options (after `npm run bench --`):
 *   --jobs N            jobs per run (1000)
 *   --inflight N        POSTs in flight at once (24)
 *   --concurrency LIST  queue max_concurrency values to try, comma-separated (4,8,16)
 *   --batch LIST        queue batch_size values to try (10)
 *   --repeat N          runs per setting (1)
 *   --idle N            idle-latency samples per run, 0 to skip (20)
 *   --timeout S         seconds to wait for a run's jobs to finish (60)
 *   --warmup N          jobs of a first, discarded run that warms the JIT (300; 0 to skip)
 */
import childProcess from 'node:child_process';
import { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { parseConfig } from '../lambdas/local/config-file.ts';
import { type LocalStack, startLocalStack } from '../lambdas/local/stack.ts';

// The SDK's notice that its 2027 releases need Node 22 would only clutter the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const APP = 'bench';
const JOB = 'True';
const QUEUE = 'bench';
const FINAL = new Set(['success', 'failed', 'error']);

interface Setting {
  readonly jobs: number;
  readonly inflight: number;
  readonly maxConcurrency: number;
  readonly batchSize: number;
  readonly idleSamples: number;
  readonly timeoutMs: number;
}

/** One POST: when it was sent, when its response arrived, and the message_id of a 201. */
interface Sent {
  readonly messageId?: string;
  readonly sentAt: number;
  readonly at201: number;
  /** Of a request that did not get its 201: the status, or the error of fetch. */
  readonly status?: number;
  readonly error?: string;
}

interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

interface RunResult {
  readonly setting: Setting;
  readonly enqueued: number;
  readonly httpErrors: number;
  readonly firstHttpError: string | undefined;
  readonly statuses: Record<string, number>;
  readonly timedOut: boolean;
  /** First POST sent → last 201 received. */
  readonly enqueueMs: number;
  /** First POST sent → last `finished_at`. */
  readonly totalMs: number;
  /** First POST sent → the last job seen final: the window of the resource figures. */
  readonly wallMs: number;
  readonly jobsPerSecond: number;
  readonly post: Percentiles;
  readonly startLatency: Percentiles;
  readonly runTime: Percentiles;
  readonly idleStartLatency: Percentiles | undefined;
  /** Share of the run the event loop of this (the only Grill) process was busy. */
  readonly eventLoopUtilization: number;
  /** CPU of this process and of its finished children (the jobs), in cores. */
  readonly cpuCores: number;
  readonly childCpuCores: number | undefined;
  /** Peak resident memory of this process: fork() of each job costs more as it grows. */
  readonly peakRssMb: number;
  /** Mean time one spawn() blocked the event loop, and the share of the run spent so. */
  readonly spawnMsEach: number;
  readonly spawnShare: number;
}

const OPTIONS = {
  jobs: { type: 'string', default: '1000' },
  inflight: { type: 'string', default: '24' },
  concurrency: { type: 'string', default: '4,8,16' },
  batch: { type: 'string', default: '10' },
  repeat: { type: 'string', default: '1' },
  idle: { type: 'string', default: '20' },
  timeout: { type: 'string', default: '60' },
  warmup: { type: 'string', default: '300' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

const positive = (name: string, text: string, max = Number.MAX_SAFE_INTEGER, min = 0): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name}: "${text}" is not an integer in ${min}..${max}`);
  }
  return n;
};
const list = (name: string, text: string, max: number) => text.split(',').map((t) => positive(name, t.trim(), max, 1));

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  return { p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** CPU seconds of waited-for children (the job processes), from /proc on Linux. */
function childCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of proc(5) (cutime, cstime), counted from field 3 here; USER_HZ is 100 on Linux.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Time spent inside child_process.spawn(), which forks synchronously on the event loop's
 * thread: the executor's import of `spawn` is a live binding, so wrapping it here times
 * every job's spawn without touching Grill's code.
 */
const spawnTiming = { calls: 0, ms: 0 };
const realSpawn = childProcess.spawn;
childProcess.spawn = ((...a: Parameters<typeof realSpawn>) => {
  const t = performance.now();
  try {
    return realSpawn(...a);
  } finally {
    spawnTiming.ms += performance.now() - t;
    spawnTiming.calls++;
  }
}) as typeof realSpawn;
syncBuiltinESMExports();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function enqueueOne(url: string, n: number): Promise<Sent> {
  const sentAt = Date.now();
  const res = await fetch(`${url}/v2/job_executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ application: APP, job: JOB, queue: QUEUE, message: { n } }),
  });
  const at201 = Date.now();
  const text = await res.text();
  if (res.status !== 201) return { sentAt, at201 };
  return { messageId: (JSON.parse(text) as { message_id: string }).message_id, sentAt, at201 };
}

/**
 * The client of the burst runs on a worker thread, so that its own fetch work does not take the
 * event loop that Grill, dynalite and fauxqs share (in use, clients are other processes). The
 * worker's Date.now() is the same clock as started_at.
 */
const DRIVER = `
const { parentPort, workerData: w } = require('node:worker_threads');
const sent = new Array(w.jobs);
let next = 0;
async function one(n) {
  const sentAt = Date.now();
  try {
    const res = await fetch(w.url + '/v2/job_executions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ application: w.app, job: w.job, queue: w.queue, message: { n } }),
    });
    const at201 = Date.now();
    const text = await res.text();
    return res.status === 201 ? { messageId: JSON.parse(text).message_id, sentAt, at201 } : { sentAt, at201, status: res.status };
  } catch (err) {
    return { sentAt, at201: Date.now(), error: String(err) };
  }
}
Promise.all(Array.from({ length: Math.min(w.inflight, w.jobs) }, async () => {
  while (next < w.jobs) { const n = next++; sent[n] = await one(n); }
})).then(() => parentPort.postMessage(sent));
`;

function enqueueBurst(url: string, jobs: number, inflight: number): Promise<Sent[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(DRIVER, {
      eval: true,
      workerData: { url, jobs, inflight, app: APP, job: JOB, queue: QUEUE },
    });
    worker.once('message', (sent: Sent[]) => {
      resolve(sent);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

const isFinal = async (stack: LocalStack, id: string) =>
  FINAL.has((await stack.deps.store.get(id))?.execution.status ?? '');

/**
 * Waits until every execution is final, reading little so as not to load dynalite: jobs finish in
 * about enqueue order, so it watches the last one (`onLast` then runs), then checks the rest once.
 */
async function waitAllFinal(stack: LocalStack, ids: string[], deadline: number, onLast = () => {}): Promise<boolean> {
  const last = ids[ids.length - 1];
  while (last !== undefined && !(await isFinal(stack, last))) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  onLast();
  for (const id of ids) {
    while (!(await isFinal(stack, id))) {
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
  }
  return true;
}

/** One job at a time on an otherwise idle stack: the latency floor of the pipeline. */
async function idleLatency(stack: LocalStack, samples: number, deadline: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples && Date.now() < deadline; i++) {
    const { messageId, at201 } = await enqueueOne(stack.url, -i);
    if (!messageId) continue;
    for (;;) {
      const found = await stack.deps.store.get(messageId);
      if (found && FINAL.has(found.execution.status)) {
        if (found.execution.startedAt) out.push(Date.parse(found.execution.startedAt) - at201);
        break;
      }
      if (Date.now() > deadline) break;
      await sleep(5);
    }
  }
  return out;
}

async function runOnce(setting: Setting): Promise<RunResult> {
  const config = parseConfig(
    {
      queues: [{ name: QUEUE, max_concurrency: setting.maxConcurrency, batch_size: setting.batchSize }],
      apps: [{ name: APP, jobs: [{ job: JOB, command: ['/bin/true'], timeout_seconds: 60 }] }],
    },
    tmpdir(),
  );
  const stack = await startLocalStack({ config, logLevel: 'SILENT', stopGraceMs: 2000 });
  try {
    // Warm-up: the SDK clients, the HTTP server and the JIT, off the clock.
    const warm = await Promise.all(Array.from({ length: 10 }, (_, i) => enqueueOne(stack.url, -1000 - i)));
    await waitAllFinal(
      stack,
      warm.flatMap((w) => (w.messageId ? [w.messageId] : [])),
      Date.now() + 10_000,
    );

    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const child0 = childCpuSeconds();
    let peakRss = process.memoryUsage.rss();
    const rssTimer = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 250);
    const spawn0 = { ...spawnTiming };
    const t0 = Date.now();
    const sent = await enqueueBurst(stack.url, setting.jobs, setting.inflight);
    const enqueueMs = Date.now() - t0;
    const ids = sent.flatMap((s) => (s.messageId ? [s.messageId] : []));
    // Resources are read when the last job is seen done, before the final check of every job.
    let wallMs = 0;
    let elu = performance.eventLoopUtilization(elu0);
    let cpu = process.cpuUsage(cpu0);
    let child1 = child0;
    let spawn1 = spawn0;
    const finished = await waitAllFinal(stack, ids, t0 + setting.timeoutMs, () => {
      wallMs = Date.now() - t0;
      elu = performance.eventLoopUtilization(elu0);
      cpu = process.cpuUsage(cpu0);
      child1 = childCpuSeconds();
      spawn1 = { ...spawnTiming };
    });
    clearInterval(rssTimer);
    if (!wallMs) {
      wallMs = Date.now() - t0;
      elu = performance.eventLoopUtilization(elu0);
      cpu = process.cpuUsage(cpu0);
      child1 = childCpuSeconds();
      spawn1 = { ...spawnTiming };
    }

    const statuses: Record<string, number> = {};
    const startLatency: number[] = [];
    const runTime: number[] = [];
    let lastFinished = t0;
    const deadline = t0 + setting.timeoutMs;
    for (const s of sent) {
      if (!s.messageId) continue;
      const e = (await stack.deps.store.get(s.messageId))?.execution;
      // Read after the run; a job that ended past the deadline counts as not finished in time.
      const ended = e?.finishedAt ? Date.parse(e.finishedAt) : undefined;
      const status = !e ? 'missing' : ended !== undefined && ended <= deadline ? e.status : 'unfinished';
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (e?.startedAt) startLatency.push(Date.parse(e.startedAt) - s.at201);
      if (e?.startedAt && ended !== undefined) runTime.push(ended - Date.parse(e.startedAt));
      if (ended !== undefined && ended <= deadline) lastFinished = Math.max(lastFinished, ended);
    }
    const idle =
      setting.idleSamples > 0 && finished ? await idleLatency(stack, setting.idleSamples, Date.now() + 20_000) : [];
    const totalMs = lastFinished - t0;
    return {
      setting,
      enqueued: ids.length,
      httpErrors: setting.jobs - ids.length,
      firstHttpError: sent.filter((x) => !x.messageId).map((x) => x.error ?? `HTTP ${x.status}`)[0],
      statuses,
      timedOut: !finished || statuses.unfinished !== undefined,
      enqueueMs,
      totalMs,
      wallMs,
      jobsPerSecond: ((statuses.success ?? 0) * 1000) / totalMs,
      post: percentiles(sent.map((s) => s.at201 - s.sentAt)),
      startLatency: percentiles(startLatency),
      runTime: percentiles(runTime),
      idleStartLatency: idle.length ? percentiles(idle) : undefined,
      eventLoopUtilization: elu.utilization,
      cpuCores: (cpu.user + cpu.system) / 1000 / wallMs,
      peakRssMb: peakRss / 2 ** 20,
      spawnMsEach: (spawn1.ms - spawn0.ms) / Math.max(1, spawn1.calls - spawn0.calls),
      spawnShare: (spawn1.ms - spawn0.ms) / wallMs,
      childCpuCores: child0 !== undefined && child1 !== undefined ? ((child1 - child0) * 1000) / wallMs : undefined,
    };
  } finally {
    // stop() waits for the pollers' grace; do not let a stuck handle hold the benchmark.
    await Promise.race([stack.stop(), sleep(10_000)]);
  }
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i] as number)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => `${'-'.repeat(w + 1)}:`).join('|')}|`, ...rows.map(line)].join('\n');
}

const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '-' : String(Math.round(n)));

async function main(): Promise<number> {
  const args = parseArgs({ options: OPTIONS, strict: true }).values;
  if (args.help) {
    const doc = readFileSync(new URL(import.meta.url), 'utf8');
    console.log(doc.slice(doc.indexOf(' * Options'), doc.indexOf(' */')).replace(/^ \* ?/gm, ''));
    return 0;
  }
  const jobs = positive('jobs', args.jobs, 100_000, 1);
  const inflight = positive('inflight', args.inflight, 1000, 1);
  const concurrencies = list('concurrency', args.concurrency, 1000);
  const batches = list('batch', args.batch, 10);
  const repeat = positive('repeat', args.repeat, 100, 1);
  const idleSamples = positive('idle', args.idle);
  const timeoutMs = positive('timeout', args.timeout) * 1000;
  const warmup = positive('warmup', args.warmup);

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Grill local-stack benchmark, ${new Date().toISOString()}`);
  console.log(`machine: ${availableParallelism()} cores (${cpu.trim()}), Node ${process.version}, ${process.platform}`);
  console.log(
    `workload: ${jobs} jobs of argv ["/bin/true"] on one queue, enqueued over HTTP with ${inflight} POSTs in flight; ` +
      `timeout ${timeoutMs / 1000} s per run; in-memory dynalite, fauxqs, log level SILENT`,
  );
  console.log('');

  if (warmup > 0) {
    // The first stack of a process runs colder code (about 20% fewer jobs/s in trials), so it is not measured.
    process.stdout.write(`warm-up: ${warmup} jobs on a stack of its own (discarded) ... `);
    const w = await runOnce({
      jobs: warmup,
      inflight,
      maxConcurrency: concurrencies[0] ?? 4,
      batchSize: batches[0] ?? 10,
      idleSamples: 0,
      timeoutMs,
    });
    console.log(`${w.jobsPerSecond.toFixed(1)} jobs/s`);
  }
  const results: RunResult[] = [];
  for (const batchSize of batches) {
    for (const maxConcurrency of concurrencies) {
      for (let r = 0; r < repeat; r++) {
        const setting = { jobs, inflight, maxConcurrency, batchSize, idleSamples, timeoutMs };
        process.stdout.write(`running: max_concurrency ${maxConcurrency}, batch_size ${batchSize} ... `);
        const res = await runOnce(setting);
        results.push(res);
        console.log(
          `${res.jobsPerSecond.toFixed(1)} jobs/s, enqueue→start p50 ${ms(res.startLatency.p50)} ms` +
            (res.timedOut ? ' (TIMED OUT)' : ''),
        );
      }
    }
  }

  const failures = (r: RunResult) =>
    r.httpErrors + Object.entries(r.statuses).reduce((n, [s, c]) => (s === 'success' ? n : n + c), 0);
  console.log('');
  console.log('Results (times in ms; jobs/s = successes / (first POST → last finished_at)):');
  console.log(
    table(
      [
        'max_concurrency',
        'batch_size',
        'jobs/s',
        'total s',
        'enqueue/s',
        'POST p50',
        'start p50',
        'p90',
        'p99',
        'max',
        'idle start p50 (p90)',
        'failures',
      ],
      results.map((r) => [
        String(r.setting.maxConcurrency),
        String(r.setting.batchSize),
        r.jobsPerSecond.toFixed(1),
        (r.totalMs / 1000).toFixed(1),
        ((r.enqueued * 1000) / r.enqueueMs).toFixed(0),
        ms(r.post.p50),
        ms(r.startLatency.p50),
        ms(r.startLatency.p90),
        ms(r.startLatency.p99),
        ms(r.startLatency.max),
        r.idleStartLatency ? `${ms(r.idleStartLatency.p50)} (${ms(r.idleStartLatency.p90)})` : '-',
        `${failures(r)}${r.timedOut ? ' (timeout)' : ''}`,
      ]),
    ),
  );
  console.log('');
  console.log('Where the time goes (this process runs the API, dynalite, fauxqs and the consumer on one event loop):');
  console.log(
    table(
      [
        'max_concurrency',
        'batch_size',
        'run p50',
        'loop busy',
        'loop ms/job',
        'spawn ms/job',
        'CPU main',
        'CPU jobs',
        'peak RSS MB',
      ],
      results.map((r) => [
        String(r.setting.maxConcurrency),
        String(r.setting.batchSize),
        ms(r.runTime.p50),
        `${Math.round(r.eventLoopUtilization * 100)}%`,
        ((r.eventLoopUtilization * r.wallMs) / Math.max(1, r.enqueued)).toFixed(1),
        `${r.spawnMsEach.toFixed(1)} (${Math.round(r.spawnShare * 100)}%)`,
        r.cpuCores.toFixed(2),
        r.childCpuCores === undefined ? '-' : r.childCpuCores.toFixed(2),
        r.peakRssMb.toFixed(0),
      ]),
    ),
  );
  console.log('');
  console.log(
    'start = enqueue→start latency, 201 received → started_at; idle start = the same, one job at a time on the idle\n' +
      'stack; run = started_at → finished_at (job lookup, spawn, /bin/true, the final write); loop busy = event-loop\n' +
      'utilization; spawn ms/job = time child_process.spawn() (a synchronous fork) blocked the loop, and its share of\n' +
      "the run; CPU in cores: 'main' = this process (with the client's thread), 'jobs' = the reaped /bin/true.",
  );
  const failed = results.filter(
    (r) => r.timedOut || r.httpErrors > 0 || Object.keys(r.statuses).some((s) => s !== 'success'),
  );
  for (const r of failed) {
    console.log(
      `failures with max_concurrency ${r.setting.maxConcurrency}, batch_size ${r.setting.batchSize}: ` +
        `${r.httpErrors} HTTP errors${r.firstHttpError ? ` (first: ${r.firstHttpError})` : ''}, statuses ${JSON.stringify(r.statuses)}${r.timedOut ? ', timed out' : ''}`,
    );
  }
  return failed.length ? 1 : 0;
}

main().then(
  // Handles of the emulators or SDK sockets may linger after stop(); the numbers are out, so leave.
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = err instanceof UsageError || (err instanceof Error && 'code' in err);
    console.error(usage ? `bench: ${(err as Error).message} (see --help)` : err);
    process.exit(2);
  },
);

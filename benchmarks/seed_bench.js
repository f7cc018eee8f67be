// Times the JavaScript library dynamodb-event-store 2.2.0 inside Node, for benchmarks/run.py.
//
// Usage: node seed_bench.js SPEC
// SPEC is JSON: {"endpoint", "table", "index", "events", "client", "case", ...}, where case is
//   append: {"tag", "count", "concurrency"}: writer w appends versions 0, 1, ... to aggregate
//           `${tag}-w${w}`, after one untimed warm-up append per writer to `${tag}-warm-w${w}`.
//   query:  {"aggregateId", "repeat", "concurrency"}; scan: {"repeat", "concurrency"}: one
//           untimed read per reader, then `repeat` timed reads shared by `concurrency` readers,
//           each reading one after the other.
// Prints {"wall_s", "cpu_s", "ops", "requests"}: elapsed time (performance.now), this process's
// CPU time (process.cpuUsage, user + system), appends made or commits read, and the HTTP
// requests sent (the SDK's 'send' event fires once per attempt, retries included).
// The library's query and scan read one page only: give them less than 1 MB to read.
'use strict';

const http = require('http');
const {performance} = require('perf_hooks');
const EventStore = require('dynamodb-event-store');

const spec = JSON.parse(process.argv[2]);

// spec.client: aio_eventstore's default client settings in this SDK's terms (retries,
// timeouts in ms, pooled keep-alive connections, parameter validation).
const store = new EventStore({
  endpoint: spec.endpoint,
  region: 'us-east-1',
  accessKeyId: 'test',
  secretAccessKey: 'test',
  maxRetries: spec.client.maxRetries,
  paramValidation: spec.client.paramValidation,
  httpOptions: {
    agent: new http.Agent({keepAlive: true, maxSockets: spec.client.maxSockets}),
    connectTimeout: spec.client.connectTimeout,
    timeout: spec.client.timeout
  },
  tableName: spec.table,
  indexName: spec.index
});

let requests = 0;
EventStore.AWS.events.on('send', () => {
  requests += 1;
});

function shares(count, workers) {
  const share = Math.floor(count / workers);
  const extra = count % workers;
  return Array.from({length: workers}, (_, w) => share + (w < extra ? 1 : 0));
}

async function write(tag, versions) {
  await Promise.all(versions.map(async (count, w) => {
    for (let version = 0; version < count; version++) {
      await store.append({aggregateId: `${tag}-w${w}`, version, events: spec.events});
    }
  }));
  return versions.reduce((sum, count) => sum + count, 0);
}

async function readOnce() {
  const commits = spec.case === 'query' ?
    await store.query({aggregateId: spec.aggregateId, version: 0}) :
    await store.scan();
  return commits.length;
}

async function reads() {
  const counts = await Promise.all(shares(spec.repeat, spec.concurrency).map(async count => {
    let total = 0;
    for (let i = 0; i < count; i++) {
      total += await readOnce();
    }
    return total;
  }));
  return counts.reduce((sum, count) => sum + count, 0);
}

async function timed(run) {
  const sent = requests;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const ops = await run();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return {
    wall_s: wall / 1e3,
    cpu_s: (used.user + used.system) / 1e6,
    ops,
    requests: requests - sent
  };
}

async function main() {
  let sample;
  if (spec.case === 'append') {
    await write(`${spec.tag}-warm`, Array.from({length: spec.concurrency}, () => 1));
    sample = await timed(() => write(spec.tag, shares(spec.count, spec.concurrency)));
  } else {
    await Promise.all(Array.from({length: spec.concurrency}, () => readOnce()));
    sample = await timed(reads);
  }
  process.stdout.write(JSON.stringify(sample));
}

main().then(() => process.exit(0), error => {
  process.stderr.write(String(error && error.stack) + '\n');
  process.exit(1);
});

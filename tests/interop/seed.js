// Drives the JavaScript library dynamodb-event-store 2.2.0 for the interop tests.
//
// Usage: node seed.js ENDPOINT TABLE INDEX < operations.json
// Reads a JSON list of operations, runs them in order, prints a JSON list of outcomes:
//   {"op": "createTable"}
//   {"op": "append", "commit": {"aggregateId", "version", "events"}, "now": 1704164645678}
//   {"op": "query", "options": {"aggregateId", "version"}}
//   {"op": "scan", "options": {"commitId"}}
// Each outcome is {"ok": result} or {"error": err.name}.
'use strict';

const EventStore = require('dynamodb-event-store');

const [endpoint, tableName, indexName] = process.argv.slice(2);

const store = new EventStore({
  endpoint,
  region: 'us-east-1',
  accessKeyId: 'test',
  secretAccessKey: 'test',
  maxRetries: 2,
  tableName,
  indexName
});

async function run(operation) {
  store.now = operation.now === undefined ? Date.now : () => operation.now;
  switch (operation.op) {
    case 'createTable':
      return store.createTable().then(() => null);
    case 'append':
      return store.append(operation.commit).then(() => null);
    case 'query':
      return store.query(operation.options);
    case 'scan':
      return store.scan(operation.options);
    default:
      throw new Error('unknown operation ' + operation.op);
  }
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const outcomes = [];
  for (const operation of JSON.parse(Buffer.concat(chunks).toString('utf8'))) {
    try {
      outcomes.push({ok: await run(operation)});
    } catch (error) {
      outcomes.push({error: error.name || String(error)});
    }
  }
  process.stdout.write(JSON.stringify(outcomes));
}

main().catch(error => {
  process.stderr.write(String(error && error.stack) + '\n');
  process.exit(1);
});

// Runs a SQL script in DuckDB through its Node client and prints the time of
// each step as JSON. Steps are separated by "-- @step NAME" lines.
//
// usage: node run.mjs DATABASE SCRIPT.sql [THREADS]
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const [db, script, threads = '2'] = process.argv.slice(2);
if (!db || !script) {
  console.error('usage: node run.mjs DATABASE SCRIPT.sql [THREADS]');
  process.exit(2);
}
const t0 = performance.now();
const instance = await DuckDBInstance.create(db, { threads });
const con = await instance.connect();
const steps = [];
for (const part of readFileSync(script, 'utf8').split(/^-- @step /m).slice(1)) {
  const nl = part.indexOf('\n');
  const name = part.slice(0, nl).trim();
  const sql = part.slice(nl + 1).trim();
  const s = performance.now();
  try {
    await con.run(sql);
  } catch (e) {
    console.error(`step ${name}: ${e.message}\n${sql}`);
    process.exit(1);
  }
  steps.push({ name, seconds: (performance.now() - s) / 1000 });
}
con.closeSync();
instance.closeSync();
console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, steps }));

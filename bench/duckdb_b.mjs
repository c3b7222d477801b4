// bench/duckdb_b.mjs: the plain SQL RFM query (b) on DuckDB, for comparison.
//
//   node bench/duckdb_b.mjs ORDERS.csv AS_OF QUERY.sql THREADS
//
// Run by bench/run with @duckdb/node-api installed into a temporary folder
// (NODE_PATH is not used by ES modules: bench/run runs this file from that
// folder).  Loads the CSV export of orders (customer_id, order_time as UTC
// timestamp, amount) into an in-memory table, then runs the query of
// QUERY.sql (psql's :'as_of' replaced by the literal, timestamptz read as
// timestamp: the times are UTC) as CREATE TABLE ... AS, so the whole result
// is computed and nothing goes to the client: a warm-up and three timed
// runs.  Prints "load_ms median_ms peak_rss_mb version".
import { readFileSync } from 'node:fs';
import duckdb, { DuckDBInstance } from '@duckdb/node-api';

const [csv, asOf, queryFile, threads] = process.argv.slice(2);
const query = readFileSync(queryFile, 'utf8')
	.replace(/^--.*$/gm, '')
	.replace(/:'as_of'::timestamptz/g, `TIMESTAMP '${asOf.replace(/\+00$/, '')}'`)
	.replace(/;\s*$/, '');

const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const connection = await instance.connect();

let start = performance.now();
await connection.run(`CREATE TABLE orders AS SELECT * FROM read_csv('${csv}', header = false,
	columns = {'customer_id': 'BIGINT', 'order_time': 'TIMESTAMP', 'amount': 'DECIMAL(10,2)'})`);
const loadMs = performance.now() - start;

const times = [];
for (let i = 0; i < 4; i++) {
	start = performance.now();
	await connection.run(`CREATE OR REPLACE TEMP TABLE result_b AS ${query}`);
	times.push(performance.now() - start);
}
const measured = times.slice(1).sort((x, y) => x - y);
const peakMb = process.resourceUsage().maxRSS / 1024;
console.log(`${loadMs.toFixed(1)} ${measured[1].toFixed(1)} ${peakMb.toFixed(0)} ${duckdb.version()}`);

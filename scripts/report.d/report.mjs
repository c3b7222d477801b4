// scripts/report.d/report.mjs: the segment report of scripts/report.
//
// Reads a segment view or segment table (and optionally an orders relation
// and a stored purchase model) through psql, builds one Vega-Lite
// specification per chart, renders each to SVG with Vega (no browser, no
// network), and writes one self-contained HTML file: the charts, the SQL
// behind each of them, and the small-group rule that was applied.
//
// Run it through scripts/report, which installs its npm dependencies.
// Exit codes: 0 written, 1 a database or input problem (message on stderr),
// 2 wrong usage.  The output file is written under a temporary name and
// renamed at the end, so a failed run leaves no partial file.

import { execFileSync } from 'node:child_process';
import { writeFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';

const USAGE = `usage: scripts/report --view NAME --out FILE.html [options]

  --view NAME             segment view or segment table (custseg.create_segment_view / _table)
  --out FILE              the HTML file to write
  --dbname CONNINFO       database or connection string (default: the PG* environment variables)
  --min-size N            smallest group shown (default 10); smaller groups are merged or hidden
  --orders REL            orders relation, for the cohort retention chart, with
  --customer-column C, --time-column T, [--amount-column A], [--period month|week]
  --purchase-model SQL    an SQL expression giving a stored purchase model (custseg.bgnbd,
                          custseg.mbgnbd or custseg.paretonbd), for the model charts
  --horizon INTERVAL      horizon of expected purchases in the model charts (default '90 days')
  --holdout CAL:END       with --orders and --amount-column: the calibration/holdout check of a
                          model fitted on the orders up to CAL (dates), against the orders to END
  --holdout-model NAME    bgnbd (default), mbgnbd or paretonbd, for --holdout
  --title TEXT            the report's title`;

class InputError extends Error {}

function parseArgs(argv) {
	const opts = { minSize: 10, horizon: '90 days', period: 'month' };
	const names = {
		'--view': 'view', '--out': 'out', '--dbname': 'dbname', '--min-size': 'minSize',
		'--orders': 'orders', '--customer-column': 'customerColumn',
		'--time-column': 'timeColumn', '--amount-column': 'amountColumn',
		'--period': 'period', '--purchase-model': 'purchaseModel', '--horizon': 'horizon',
		'--title': 'title', '--holdout': 'holdout', '--holdout-model': 'holdoutModel',
	};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '-h' || a === '--help') {
			console.log(USAGE);
			process.exit(0);
		}
		const key = names[a];
		if (!key || i + 1 >= argv.length)
			usage(key ? `${a} needs a value` : `unknown argument ${a}`);
		opts[key] = argv[++i];
	}
	if (!opts.view || !opts.out)
		usage('--view and --out are required');
	if (!/^[0-9]+$/.test(String(opts.minSize)) || Number(opts.minSize) < 1)
		usage('--min-size must be a whole number of at least 1');
	opts.minSize = Number(opts.minSize);
	if (opts.orders && !(opts.customerColumn && opts.timeColumn))
		usage('--orders needs --customer-column and --time-column');
	if (!['month', 'week'].includes(opts.period))
		usage("--period must be 'month' or 'week'");
	if (opts.holdout) {
		const m = /^(\d{4}-\d{2}-\d{2}):(\d{4}-\d{2}-\d{2})$/.exec(opts.holdout);
		if (!m)
			usage('--holdout takes CALIBRATION_END:HOLDOUT_END as two dates, e.g. 2024-06-30:2024-12-31');
		if (!(opts.orders && opts.amountColumn))
			usage('--holdout needs --orders, --customer-column, --time-column and --amount-column');
		[opts.calibrationEnd, opts.holdoutEnd] = [m[1], m[2]];
	}
	opts.holdoutModel = opts.holdoutModel || 'bgnbd';
	if (!['bgnbd', 'mbgnbd', 'paretonbd'].includes(opts.holdoutModel))
		usage('--holdout-model must be bgnbd, mbgnbd or paretonbd');
	return opts;
}

function usage(message) {
	console.error(`scripts/report: ${message}\n\n${USAGE}`);
	process.exit(2);
}

// SQL literals and identifiers (standard_conforming_strings is on since
// PostgreSQL 9.1).
const literal = (s) => `'${String(s).replace(/'/g, "''")}'`;
const ident = (s) => `"${String(s).replace(/"/g, '""')}"`;

// One query through psql: its rows as JSON objects.
function rows(opts, sql) {
	const psql = process.env.PSQL || 'psql';
	const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'];
	if (opts.dbname)
		args.push('-d', opts.dbname);
	args.push('-c', `SELECT coalesce(json_agg(t), '[]'::json) FROM (${sql}) t`);
	let out;
	try {
		out = execFileSync(psql, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
										 maxBuffer: 256 * 1024 * 1024 });
	} catch (e) {
		const text = (e.stderr || e.message || '').toString().trim();
		throw new InputError(text.replace(/^psql: /, '').replace(/^error: /, ''));
	}
	return JSON.parse(out);
}

// The relation: its canonical name, kind and columns; refuses what is not a
// segment view or table.
function describeRelation(opts) {
	const rel = rows(opts, `
		SELECT c.oid::regclass::text AS name, c.relkind::text AS kind,
			   (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
				WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
		FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass(${literal(opts.view)})`);
	if (rel.length === 0)
		throw new InputError(`relation "${opts.view}" does not exist`);
	const { name, kind, columns } = rel[0];
	if (!['m', 'r', 'v', 'p', 'f'].includes(kind))
		throw new InputError(`${name} is not a table or view`);
	const needed = ['segment', 'r', 'f', 'm', 'revenue', 'orders', 'recency_days'];
	const missing = needed.filter((c) => !columns.includes(c));
	if (missing.length > 0)
		throw new InputError(`${name} is not a segment view or segment table: it has no column ${missing.join(', ')} ` +
			'(create one with custseg.create_segment_view or custseg.create_segment_table)');
	return { name, kind, columns };
}

// Each chart: a title, the SQL (shown in the report), the rows, a note and a
// Vega-Lite specification built from the rows.
function charts(opts, rel) {
	const v = rel.name;
	const n = opts.minSize;
	const list = [];

	const countSql = `SELECT count(*) AS customers FROM ${v}`;
	const total = rows(opts, countSql)[0].customers;
	if (total === 0)
		throw new InputError(`${v} has no rows: refresh it (a segment view: REFRESH MATERIALIZED VIEW ${v}) or check its orders`);

	// 1. Customers and revenue per segment, small segments merged.
	const segSql = `WITH grouped AS (
	SELECT segment::text AS segment, count(*) AS customers, sum(revenue)::float8 AS revenue
	FROM ${v}
	GROUP BY 1
)
SELECT segment, customers, revenue
FROM grouped WHERE customers >= ${n}
UNION ALL
SELECT format('other (%s segments)', count(*)), sum(customers), sum(revenue)
FROM grouped WHERE customers < ${n}
HAVING sum(customers) >= ${n}
ORDER BY customers DESC`;
	const seg = rows(opts, segSql);
	const hidden = total - seg.reduce((s, r) => s + Number(r.customers), 0);
	list.push({
		id: 'segments', title: 'Customers and revenue per segment', sql: segSql, data: seg,
		note: `Segments of fewer than ${n} customers are merged into "other"; ` +
			(hidden > 0 ? `${hidden} customers in a merged group still under ${n} are not shown.`
				: 'every customer is counted.'),
		spec: {
			data: { values: seg },
			hconcat: ['customers', 'revenue'].map((field) => ({
				width: 320, height: { step: 22 },
				mark: { type: 'bar', tooltip: true },
				encoding: {
					y: { field: 'segment', type: 'nominal', sort: '-x', title: null },
					x: { field, type: 'quantitative', title: field === 'customers' ? 'customers' : 'revenue' },
					color: { value: field === 'customers' ? '#4c78a8' : '#f58518' },
				},
			})),
		},
	});

	// 2. The RFM grid: recency score by frequency score.
	const gridSql = `SELECT r, f,
	   CASE WHEN count(*) >= ${n} THEN count(*) END AS customers,
	   CASE WHEN count(*) >= ${n} THEN avg(revenue)::float8 END AS mean_revenue
FROM ${v}
GROUP BY r, f
ORDER BY r, f`;
	const grid = rows(opts, gridSql);
	const heat = (field, title, scheme) => ({
		width: 260, height: 220, title,
		layer: [
			{
				mark: 'rect',
				encoding: {
					x: { field: 'f', type: 'ordinal', title: 'frequency score' },
					y: { field: 'r', type: 'ordinal', sort: 'descending', title: 'recency score' },
					color: { field, type: 'quantitative', scale: { scheme }, title: null },
				},
			},
			{
				mark: { type: 'text', fontSize: 10 },
				encoding: {
					x: { field: 'f', type: 'ordinal' },
					y: { field: 'r', type: 'ordinal', sort: 'descending' },
					text: { field: `${field}_label` },
				},
			},
		],
	});
	const gridLabelled = grid.map((g) => ({
		...g,
		customers_label: g.customers == null ? `<${n}` : String(g.customers),
		mean_revenue_label: g.mean_revenue == null ? `<${n}` : g.mean_revenue.toFixed(0),
	}));
	list.push({
		id: 'rfm-grid', title: 'RFM grid: recency by frequency', sql: gridSql, data: grid,
		note: `Cells of fewer than ${n} customers show "<${n}" and no value.`,
		spec: {
			data: { values: gridLabelled },
			hconcat: [heat('customers', 'customers', 'blues'), heat('mean_revenue', 'mean revenue', 'oranges')],
			resolve: { scale: { color: 'independent' } },
		},
	});

	// 3. Segment movement between the two latest snapshots.
	const snapSql = `SELECT snapshot_at FROM custseg.segment_snapshots
WHERE view_name = custseg.relation_name(${literal(v)}::regclass)
ORDER BY snapshot_at DESC LIMIT 2`;
	let snaps = [];
	try {
		snaps = rows(opts, snapSql);
	} catch (e) {
		snaps = [];				/* no history readable: no movement chart */
	}
	if (snaps.length === 2) {
		const moveSql = `SELECT from_segment, to_segment,
	   CASE WHEN customers >= ${n} THEN customers END AS customers
FROM custseg.segment_transitions(${literal(v)}::regclass,
	 ${literal(snaps[1].snapshot_at)}::timestamptz, ${literal(snaps[0].snapshot_at)}::timestamptz)`;
		const moves = rows(opts, moveSql).map((m) => ({
			...m,
			from_segment: m.from_segment ?? '(new)', to_segment: m.to_segment ?? '(gone)',
			label: m.customers == null ? `<${n}` : String(m.customers),
		}));
		list.push({
			id: 'transitions', title: 'Segment movement between the last two snapshots', sql: moveSql,
			data: moves,
			note: `From ${snaps[1].snapshot_at} to ${snaps[0].snapshot_at}; cells of fewer than ${n} customers show "<${n}".`,
			spec: {
				data: { values: moves }, width: { step: 34 }, height: { step: 22 },
				layer: [
					{
						mark: 'rect',
						encoding: {
							x: { field: 'to_segment', type: 'nominal', title: 'to segment' },
							y: { field: 'from_segment', type: 'nominal', title: 'from segment' },
							color: { field: 'customers', type: 'quantitative', scale: { scheme: 'purples' }, title: 'customers' },
						},
					},
					{
						mark: { type: 'text', fontSize: 9 },
						encoding: {
							x: { field: 'to_segment', type: 'nominal' },
							y: { field: 'from_segment', type: 'nominal' },
							text: { field: 'label' },
						},
					},
				],
			},
		});
	}

	// 4. Cohort retention.
	if (opts.orders) {
		const cohortSql = `SELECT cohort, period_number, customers,
	   CASE WHEN customers >= ${n} THEN retention END AS retention
FROM custseg.cohort_retention(${literal(opts.orders)}::regclass, ${literal(opts.customerColumn)},
	 ${literal(opts.timeColumn)}, ${literal(opts.period)}${opts.amountColumn ? `, ${literal(opts.amountColumn)}` : ''})
ORDER BY cohort, period_number`;
		const cohorts = rows(opts, cohortSql);
		list.push({
			id: 'cohorts', title: `Cohort retention by ${opts.period}`, sql: cohortSql, data: cohorts,
			note: `Share of each cohort (first purchase in the ${opts.period}) buying in each later ${opts.period}; cohorts of fewer than ${n} customers are left blank.`,
			spec: {
				data: { values: cohorts.filter((c) => c.retention != null) },
				width: { step: 12 }, height: { step: 12 },
				mark: { type: 'rect', tooltip: true },
				encoding: {
					x: { field: 'period_number', type: 'ordinal', title: `${opts.period}s since first purchase` },
					y: { field: 'cohort', type: 'ordinal', title: 'cohort' },
					color: { field: 'retention', type: 'quantitative', scale: { scheme: 'greens' }, title: 'retention' },
				},
			},
		});
	}

	// 5. Model charts: expected purchases and p_alive by frequency and recency
	// (a customer of the view's largest age), and CLV per segment.
	if (opts.purchaseModel) {
		if (!rel.columns.includes('repeat_purchases') || !rel.columns.includes('age_days'))
			throw new InputError(`${v} has no columns repeat_purchases and age_days: the model charts need a segment view's summary columns`);
		const matrixSql = `WITH m AS (SELECT ${opts.purchaseModel} AS model),
span AS (
	SELECT least(max(repeat_purchases), 30)::bigint AS max_x, max(age_days)::float8 AS age
	FROM ${v}
),
grid AS (
	SELECT x, CASE WHEN x = 0 THEN 0 ELSE span.age * k / 20 END AS t_x, span.age AS age
	FROM span, generate_series(0, span.max_x) x, generate_series(0, 20) k
	WHERE x > 0 AND k > 0 OR x = 0 AND k = 0
)
SELECT g.x AS frequency, round(g.t_x)::float8 AS recency_day, g.age,
	   custseg.expected_purchases(m.model, ${literal(opts.horizon)}::interval, g.x, g.t_x, g.age) AS expected_purchases,
	   custseg.p_alive(m.model, g.x, g.t_x, g.age) AS p_alive
FROM grid g, m
ORDER BY 1, 2`;
		const matrix = rows(opts, matrixSql);
		const mheat = (field, title, scheme, format) => ({
			width: 300, height: 240, title,
			mark: { type: 'rect', tooltip: true },
			encoding: {
				x: { field: 'recency_day', type: 'ordinal', title: 'day of last purchase (t_x)',
					 axis: { labelAngle: -45, labelOverlap: true } },
				y: { field: 'frequency', type: 'ordinal', sort: 'descending', title: 'repeat purchases (x)' },
				color: { field, type: 'quantitative', scale: { scheme }, title: null, legend: { format } },
			},
		});
		list.push({
			id: 'model-matrices', title: `Expected purchases in ${opts.horizon} and probability alive`,
			sql: matrixSql, data: matrix,
			note: `Values of the model on a grid of repeat purchases and day of the last purchase, for a customer observed for ${matrix.length ? matrix[0].age : 0} days (the longest in the view); no customer data is shown.`,
			spec: {
				data: { values: matrix },
				hconcat: [mheat('expected_purchases', `expected purchases in ${opts.horizon}`, 'viridis', '.3~g'),
						  mheat('p_alive', 'probability alive', 'redyellowgreen', '.2f')],
				resolve: { scale: { color: 'independent' } },
			},
		});
	}
	// 6. The calibration/holdout check of a model fitted on the orders up to
	// the calibration end (custseg.holdout_check and holdout_tracking).
	if (opts.holdout) {
		const args = `${literal(opts.orders)}::regclass, ${literal(opts.customerColumn)}, ${literal(opts.timeColumn)},
	 ${literal(opts.amountColumn)}, ${literal(opts.calibrationEnd)}::date, ${literal(opts.holdoutEnd)}::date, ${literal(opts.holdoutModel)}`;
		const checkSql = `SELECT repeat_purchases, customers,
	   actual_purchases, predicted_purchases
FROM custseg.holdout_check(${args}, false)
WHERE customers >= ${n}`;
		const check = rows(opts, checkSql);
		const long = check.flatMap((c) => [
			{ repeat_purchases: c.repeat_purchases, what: 'actual', purchases: c.actual_purchases },
			{ repeat_purchases: c.repeat_purchases, what: 'predicted', purchases: c.predicted_purchases }]);
		list.push({
			id: 'holdout-check', title: `Calibration against holdout: ${opts.holdoutModel} fitted to ${opts.calibrationEnd}`,
			sql: checkSql, data: check,
			note: `Holdout purchases per customer (${opts.calibrationEnd} to ${opts.holdoutEnd}), actual and predicted, by the number of repeat purchases in the calibration period; groups of fewer than ${n} customers are left out.`,
			spec: {
				data: { values: long }, width: { step: 18 }, height: 240,
				mark: { type: 'bar', tooltip: true },
				encoding: {
					x: { field: 'repeat_purchases', type: 'ordinal', title: 'repeat purchases in the calibration period', sort: null },
					xOffset: { field: 'what' },
					y: { field: 'purchases', type: 'quantitative', title: 'holdout purchases per customer' },
					color: { field: 'what', type: 'nominal', title: null },
				},
			},
		});
		const trackSql = `SELECT week, week_end, actual_cumulative, expected_cumulative, holdout
FROM custseg.holdout_tracking(${args})
ORDER BY week`;
		const track = rows(opts, trackSql);
		const trackLong = track.flatMap((w) => [
			{ week_end: w.week_end, what: 'actual', purchases: w.actual_cumulative },
			{ week_end: w.week_end, what: 'expected', purchases: w.expected_cumulative }]);
		list.push({
			id: 'tracking', title: 'Tracking: cumulative repeat purchases, actual and expected',
			sql: trackSql, data: track,
			note: `Totals over all calibration customers, week by week; the holdout period starts after ${opts.calibrationEnd} (the rule).`,
			spec: {
				width: 600, height: 260,
				layer: [
					{
						data: { values: trackLong },
						mark: { type: 'line' },
						encoding: {
							x: { field: 'week_end', type: 'temporal', title: 'week' },
							y: { field: 'purchases', type: 'quantitative', title: 'cumulative repeat purchases' },
							color: { field: 'what', type: 'nominal', title: null },
							strokeDash: { field: 'what', type: 'nominal' },
						},
					},
					{
						data: { values: [{ at: opts.calibrationEnd }] },
						mark: { type: 'rule', color: 'gray' },
						encoding: { x: { field: 'at', type: 'temporal' } },
					},
				],
			},
		});
	}
	if (rel.columns.includes('clv')) {
		const clvSql = `SELECT segment::text AS segment, count(*) AS customers,
	   min(clv)::float8 AS low,
	   percentile_cont(0.25) WITHIN GROUP (ORDER BY clv) AS q1,
	   percentile_cont(0.5) WITHIN GROUP (ORDER BY clv) AS median,
	   percentile_cont(0.75) WITHIN GROUP (ORDER BY clv) AS q3,
	   percentile_cont(0.95) WITHIN GROUP (ORDER BY clv) AS p95
FROM ${v}
WHERE clv IS NOT NULL
GROUP BY 1
HAVING count(*) >= ${n}
ORDER BY median DESC`;
		const clv = rows(opts, clvSql);
		list.push({
			id: 'clv', title: 'CLV per segment', sql: clvSql, data: clv,
			note: `Box from the first to the third quartile, tick at the median, line from the minimum to the 95th percentile; segments of fewer than ${n} customers with a CLV are not shown.`,
			spec: {
				data: { values: clv }, width: 420, height: { step: 22 },
				encoding: { y: { field: 'segment', type: 'nominal', sort: { field: 'median', order: 'descending' }, title: null } },
				layer: [
					{ mark: { type: 'rule' }, encoding: { x: { field: 'low', type: 'quantitative', title: 'CLV' }, x2: { field: 'p95' } } },
					{ mark: { type: 'bar', size: 14, color: '#72b7b2' }, encoding: { x: { field: 'q1', type: 'quantitative' }, x2: { field: 'q3' } } },
					{ mark: { type: 'tick', color: 'black', size: 14 }, encoding: { x: { field: 'median', type: 'quantitative' } } },
				],
			},
		});
	}
	return { total, list };
}

async function svgOf(spec) {
	const compiled = vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
								  config: { font: 'sans-serif' }, ...spec }).spec;
	const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
	const svg = await view.toSVG();
	view.finalize();
	return svg;
}

const escapeHtml = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

async function html(opts, rel, result) {
	const title = opts.title || `Segment report: ${rel.name}`;
	const figures = [];
	for (const c of result.list) {
		const svg = c.data.length > 0 ? await svgOf(c.spec) : null;
		figures.push(`<section class="chart" id="${c.id}">
<h2>${escapeHtml(c.title)}</h2>
${svg ? `<figure>${svg}</figure>` : '<p class="empty">No group is large enough to be shown.</p>'}
<p class="note">${escapeHtml(c.note)}</p>
<details><summary>SQL behind this chart</summary><pre>${escapeHtml(c.sql)}</pre></details>
</section>`);
	}
	return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
.meta, .note { color: #555; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
figure { margin: 0.5em 0; overflow-x: auto; }
.rule { border-left: 4px solid #f58518; padding-left: 0.8em; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(rel.name)}: ${result.total} customers. Made by custseg's scripts/report on ${new Date().toISOString().slice(0, 10)}.</p>
<p class="rule" id="min-size-rule">Small groups are suppressed: no chart shows a group of fewer than ${opts.minSize} customers.</p>
${figures.join('\n')}
</body>
</html>
`;
}

async function main() {
	const opts = parseArgs(process.argv.slice(2));
	const tmp = join(dirname(opts.out), `.${basename(opts.out)}.${process.pid}.tmp`);
	try {
		const rel = describeRelation(opts);
		const result = charts(opts, rel);
		writeFileSync(tmp, await html(opts, rel, result));
		renameSync(tmp, opts.out);
		console.log(`scripts/report: wrote ${opts.out} (${result.list.length} charts, ${result.total} customers)`);
	} catch (e) {
		rmSync(tmp, { force: true });
		if (e instanceof InputError) {
			console.error(`scripts/report: ${e.message}`);
			process.exit(1);
		}
		throw e;
	}
}

main().catch((e) => {
	console.error(`scripts/report: ${e.stack || e}`);
	process.exit(1);
});

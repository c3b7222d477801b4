// scripts/report.d/check.mjs: opens a report of scripts/report in headless
// Chromium (Debian's, through puppeteer-core: no browser download) and
// checks what a person would see: no console errors, every chart present
// with a non-blank picture, the small-group rule shown.
//
//   node check.mjs REPORT.html MIN_SIZE CHART_ID... [--screenshots DIR]
//
// Prints one line per check ("ok ..." or "not ok ...") and the count of
// failures; exits 1 when any check failed.

import puppeteer from 'puppeteer-core';
import { PNG } from 'pngjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
let shots = null;
const i = args.indexOf('--screenshots');
if (i >= 0) {
	shots = args[i + 1];
	args.splice(i, 2);
	mkdirSync(shots, { recursive: true });
}
const [file, minSize, ...ids] = args;
let failed = 0, passed = 0;
const check = (ok, what) => {
	console.log(`${ok ? 'ok' : 'not ok'} ${what}`);
	if (ok) passed++; else failed++;
};

// The share of pixels of a PNG that are not (nearly) white.
function inkShare(buffer) {
	const png = PNG.sync.read(buffer);
	let ink = 0;
	for (let p = 0; p < png.data.length; p += 4) {
		const [r, g, b] = [png.data[p], png.data[p + 1], png.data[p + 2]];
		if (r < 235 || g < 235 || b < 235)
			ink++;
	}
	return ink / (png.width * png.height);
}

const browser = await puppeteer.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
});
try {
	const page = await browser.newPage();
	const errors = [];
	page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
	page.on('pageerror', (e) => errors.push(e.message));
	page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
	// A self-contained report asks for nothing but itself.
	await page.setRequestInterception(true);
	const fileUrl = pathToFileURL(resolve(file)).href;
	page.on('request', (r) => {
		if (r.url() === fileUrl || r.url().startsWith('data:'))
			r.continue();
		else {
			errors.push(`request to ${r.url()}`);
			r.abort();
		}
	});
	await page.setViewport({ width: 1200, height: 900 });
	await page.goto(fileUrl, { waitUntil: 'load' });
	for (const id of ids) {
		const el = await page.$(`section.chart#${id} figure svg`);
		if (!el) {
			check(false, `chart ${id} is present`);
			continue;
		}
		const box = await el.boundingBox();
		const marks = await el.evaluate((svg) => svg.querySelectorAll('path, rect, line, text').length);
		const png = await el.screenshot({ type: 'png' });
		const ink = inkShare(png);
		if (shots)
			writeFileSync(`${shots}/${id}.png`, png);
		check(box && box.width > 50 && box.height > 50 && marks > 10 && ink > 0.01,
			  `chart ${id} is drawn (${Math.round(box?.width ?? 0)}x${Math.round(box?.height ?? 0)} px, ${marks} marks, ${(ink * 100).toFixed(1)} % ink)`);
	}
	const rule = await page.$eval('#min-size-rule', (e) => e.innerText).catch(() => '');
	check(rule.includes(`fewer than ${minSize} customers`), `the small-group rule is shown ("${rule}")`);
	const sqlBlocks = await page.$$eval('section.chart details pre', (l) => l.filter((e) => /SELECT/.test(e.textContent)).length);
	check(sqlBlocks >= ids.length, `the SQL of every chart is shown (${sqlBlocks} blocks)`);
	check(errors.length === 0, `no console errors or outside requests${errors.length ? ': ' + errors.join('; ') : ''}`);
} finally {
	await browser.close();
}
console.log(`report check: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

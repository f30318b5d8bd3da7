// Opens the rendered weekly escalation report in headless Chromium and checks that it renders:
// no console error, no page error, no failed request; at least four visible, non-empty SVG
// charts; a full-page screenshot; and a print-mode PDF without errors.
//
//   node tests/browser/check_report.mjs REPORT.html SCREENSHOT.png
//
// CHROMIUM overrides the browser binary (default /usr/bin/chromium).

import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import puppeteer from "puppeteer-core";

const [htmlArg, pngArg] = process.argv.slice(2);
if (!htmlArg || !pngArg) {
  console.error("usage: node check_report.mjs REPORT.html SCREENSHOT.png");
  process.exit(2);
}
const htmlPath = path.resolve(htmlArg);
const pngPath = path.resolve(pngArg);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

const failures = [];
const fail = (message) => failures.push(message);

async function main() {
  await stat(htmlPath).catch(() => {
    throw new Error(`report not found: ${htmlPath}`);
  });
  await stat(executablePath).catch(() => {
    throw new Error(`Chromium not found at ${executablePath} (install it or set CHROMIUM)`);
  });

  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const tmp = await mkdtemp(path.join(tmpdir(), "report-print-"));
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 900, deviceScaleFactor: 1 });
    page.on("console", (message) => {
      if (message.type() === "error") fail(`console error: ${message.text()}`);
    });
    page.on("pageerror", (error) => fail(`page error: ${error.message}`));
    page.on("requestfailed", (request) =>
      fail(`request failed: ${request.url()} (${request.failure()?.errorText ?? "unknown"})`),
    );
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith("file:") && !url.startsWith("data:")) {
        fail(`the page loads an external resource: ${url}`);
      }
    });

    const response = await page.goto(pathToFileURL(htmlPath).href, { waitUntil: "load" });
    if (response && !response.ok()) fail(`loading the report answered ${response.status()}`);

    const charts = await page.evaluate(() =>
      [...document.querySelectorAll("svg")].map((svg) => {
        const box = svg.getBoundingClientRect();
        return {
          id: svg.id || "(no id)",
          width: box.width,
          height: box.height,
          marks: svg.querySelectorAll("rect, path, line, circle, polyline, text").length,
          title: svg.querySelector("title")?.textContent ?? "",
        };
      }),
    );
    if (charts.length < 4) fail(`expected at least 4 <svg> charts, found ${charts.length}`);
    for (const chart of charts) {
      if (!(chart.width > 0 && chart.height > 0)) {
        fail(`chart ${chart.id} has an empty box (${chart.width} x ${chart.height})`);
      }
      if (chart.marks === 0) fail(`chart ${chart.id} draws nothing`);
      if (!chart.title.trim()) fail(`chart ${chart.id} has no <title>`);
    }
    const text = await page.evaluate(() => document.body.innerText);
    for (const bad of ["NaN", "undefined", "Infinity"]) {
      if (text.includes(bad)) fail(`the page shows "${bad}"`);
    }

    await page.screenshot({ path: pngPath, fullPage: true });

    await page.emulateMediaType("print");
    const pdfPath = path.join(tmp, "report.pdf");
    await page.pdf({ path: pdfPath, format: "A4", printBackground: false });
    const pdf = await stat(pdfPath);
    if (pdf.size < 1000) fail(`the print PDF is suspiciously small (${pdf.size} bytes)`);

    console.log(
      `rendered ${htmlPath}: ${charts.length} charts (` +
        charts.map((c) => `${c.id} ${Math.round(c.width)}x${Math.round(c.height)}`).join(", ") +
        `), screenshot ${pngPath}, print PDF ${pdf.size} bytes`,
    );
  } finally {
    await browser.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (failures.length > 0) {
  console.error(`report check FAILED (${failures.length}):`);
  for (const failure of failures) console.error(`  - ${failure}`);
  process.exit(1);
}
console.log("report check passed");

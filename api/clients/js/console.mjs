// Browser test of the web console (`vectorbucket serve` at /console/) in
// headless Chromium driven by playwright-core. Seeds an index with the
// official AWS SDK for JavaScript, then, through the page only: signs in
// (SigV4 computed in the page), lists buckets, creates one, opens an index,
// runs a query by stored key and an exact filtered one (checked against
// brute force), reads the receipt, draws the recall/latency chart, and checks the
// error a missing key and a wrong secret produce. api/clients/console_test.go
// runs it against a freshly started vectorbucket.
//
// Environment: S3VECTORS_ENDPOINT, S3VECTORS_REGION, S3VECTORS_ACCESS_KEY_ID,
// S3VECTORS_SECRET_ACCESS_KEY (as e2e.mjs), CHROMIUM (the browser binary),
// CONSOLE_SCREENSHOT (optional: where to write a PNG of the final page).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chromium } from "playwright-core";
import {
  S3VectorsClient,
  CreateVectorBucketCommand,
  CreateIndexCommand,
  GetVectorBucketCommand,
  PutVectorsCommand,
  QueryVectorsCommand,
} from "@aws-sdk/client-s3vectors";

const env = (name, def) => {
  const v = process.env[name] ?? def;
  if (!v) {
    console.error(`console.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
};
const endpoint = env("S3VECTORS_ENDPOINT");
const region = env("S3VECTORS_REGION", "us-east-1");
const accessKey = env("S3VECTORS_ACCESS_KEY_ID");
const secret = env("S3VECTORS_SECRET_ACCESS_KEY");
const browserPath = env("CHROMIUM");

const sdk = new S3VectorsClient({ endpoint, region, credentials: { accessKeyId: accessKey, secretAccessKey: secret }, maxAttempts: 1 });
const suffix = randomBytes(3).toString("hex");
const bucket = `media-${suffix}`, scratch = `scratch-${suffix}`, index = "movies", dim = 8;

// A seeded generator so a failure reproduces.
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const genres = ["noir", "comedy", "drama"];
const vectors = Array.from({ length: 3000 }, (_, i) => ({
  key: `doc${String(i).padStart(4, "0")}`,
  data: { float32: Array.from({ length: dim }, rnd) },
  metadata: { genre: genres[i % 3], year: 1950 + (i % 70) },
}));

let checks = 0;
const check = (name, fn) => async () => {
  await fn();
  checks++;
  console.log(`ok ${checks} ${name}`);
};

await sdk.send(new CreateVectorBucketCommand({ vectorBucketName: bucket }));
await sdk.send(new CreateIndexCommand({ vectorBucketName: bucket, indexName: index, dataType: "float32", dimension: dim, distanceMetric: "cosine" }));
for (let i = 0; i < vectors.length; i += 500) {
  await sdk.send(new PutVectorsCommand({ vectorBucketName: bucket, indexName: index, vectors: vectors.slice(i, i + 500) }));
}

const browser = await chromium.launch({
  executablePath: browserPath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  const url = `${endpoint}/console/`;

  await check("page loads, server healthy, sign-in asked for", async () => {
    await page.goto(url);
    await page.locator("#health.ok").waitFor();
    await page.locator("#creds").waitFor({ state: "visible" });
  })();

  await check("a wrong secret is refused with AccessDenied", async () => {
    await page.fill("#accessKey", accessKey);
    await page.fill("#secretKey", secret + "x");
    await page.click("#creds button");
    await page.locator("#error").waitFor({ state: "visible" });
    assert.match(await page.textContent("#error"), /AccessDenied/);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.locator("#creds").waitFor({ state: "visible" });
  })();

  await check("signing in lists the buckets", async () => {
    await page.fill("#accessKey", accessKey);
    await page.fill("#secretKey", secret);
    await page.click("#creds button");
    await page.locator(`#buckets button[data-bucket="${bucket}"]`).waitFor();
    assert.match(await page.textContent("#who"), new RegExp(accessKey));
    assert.equal(await page.isVisible("#error"), false);
  })();

  await check("creating a bucket in the page creates it on the server", async () => {
    await page.fill("#newBucketName", scratch);
    await page.click("#newBucket button");
    await page.locator(`#buckets button.sel[data-bucket="${scratch}"]`).waitFor();
    const got = await sdk.send(new GetVectorBucketCommand({ vectorBucketName: scratch }));
    assert.equal(got.vectorBucket.vectorBucketName, scratch);
    await page.locator("#indexes", { hasText: "no indexes in this bucket" }).waitFor();
  })();

  await check("an index shows its dimension and metric", async () => {
    await page.click(`#buckets button[data-bucket="${bucket}"]`);
    await page.locator(`#indexes button[data-index="${index}"]`, { hasText: "8-d cosine" }).waitFor();
    await page.click(`#indexes button[data-index="${index}"]`);
    await page.locator("#indexInfo", { hasText: "dimension" }).waitFor();
    const info = await page.textContent("#indexInfo");
    assert.match(info, /dimension8/);
    assert.match(info, /cosine/);
  })();

  await check("a query by stored key finds the key first, with a receipt", async () => {
    await page.fill("#qKey", "doc0007");
    await page.click("#search");
    await page.locator("#resultsPane").waitFor({ state: "visible" });
    const rows = page.locator("#results tbody tr");
    assert.equal(await rows.count(), 10);
    assert.equal(await rows.nth(0).locator("td").nth(1).textContent(), "doc0007");
    assert.ok(Math.abs(Number(await rows.nth(0).locator("td").nth(2).textContent())) < 1e-5);
    await page.locator("#receiptPane").waitFor({ state: "visible" });
    assert.ok((await page.locator("#receipt dt").count()) >= 3, "the receipt lists what the query did");
  })();

  await check("a filtered exact query returns the brute-force answer", async () => {
    await page.fill("#qFilter", '{"genre": "noir"}');
    await page.selectOption("#qTarget", "exact");
    await page.click("#search");
    await page.locator("#resultsTitle", { hasText: "10 results" }).waitFor();
    const keys = await page.locator("#results tbody tr td:nth-child(2)").allTextContents();
    const metas = await page.locator("#results tbody tr td:nth-child(4)").allTextContents();
    for (const m of metas) assert.equal(JSON.parse(m).genre, "noir");
    // Brute force over what was stored (cosine distance in float64).
    const q = vectors[7].data.float32;
    const cos = (a) => {
      let ab = 0, aa = 0, bb = 0;
      for (let i = 0; i < dim; i++) { ab += a[i] * q[i]; aa += a[i] * a[i]; bb += q[i] * q[i]; }
      return 1 - ab / Math.sqrt(aa * bb);
    };
    const want = vectors.filter((v) => v.metadata.genre === "noir").map((v) => ({ key: v.key, d: cos(v.data.float32) }))
      .sort((a, b) => a.d - b.d).slice(0, 10);
    assert.deepEqual(keys, want.map((w) => w.key));
    const dists = await page.locator("#results tbody tr td:nth-child(3)").allTextContents();
    dists.forEach((d, i) => assert.ok(Math.abs(Number(d) - want[i].d) < 1e-4, `distance ${d} vs ${want[i].d}`));
    // The SDK's (approximate, default) answer agrees with it on most keys.
    const sdkAns = await sdk.send(new QueryVectorsCommand({ vectorBucketName: bucket, indexName: index, topK: 10,
      queryVector: vectors[7].data, filter: { genre: "noir" } }));
    const overlap = sdkAns.vectors.filter((v) => keys.includes(v.key)).length;
    assert.ok(overlap >= 7, `SDK answer shares ${overlap} of 10 keys with the exact one`);
  })();

  await check("the recall/latency chart plots every target", async () => {
    await page.fill("#qFilter", "");
    await page.click("#chart");
    await page.locator("#recallChart").waitFor();
    assert.equal(await page.locator("#recallChart circle").count(), 7);
    const rows = page.locator("#chartTable tbody tr");
    assert.equal(await rows.count(), 7);
    const exact = page.locator('#chartTable tbody tr[data-target="exact"] td');
    assert.equal(await exact.nth(1).textContent(), "1.000");
    for (let i = 0; i < 7; i++) {
      const r = Number(await rows.nth(i).locator("td").nth(1).textContent());
      assert.ok(r >= 0 && r <= 1, `recall ${r}`);
    }
  })();

  await check("browsing lists stored vectors and a click queries one", async () => {
    await page.click("#browse");
    await page.locator("#resultsTitle", { hasText: "first 50 vectors (more exist)" }).waitFor();
    const first = page.locator("#results tbody tr button").first();
    const key = await first.textContent();
    await first.click();
    await page.locator("#results tbody tr td:nth-child(2)", { hasText: key }).first().waitFor();
  })();

  await check("a missing key is reported, not swallowed", async () => {
    await page.fill("#qKey", "no-such-key");
    await page.click("#search");
    await page.locator("#error", { hasText: 'no vector with key "no-such-key"' }).waitFor();
  })();

  if (process.env.CONSOLE_SCREENSHOT) {
    await page.fill("#qKey", "doc0007");
    await page.selectOption("#qTarget", "");
    await page.click("#search");
    await page.locator("#resultsTitle", { hasText: "10 results" }).waitFor();
    await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT, fullPage: true });
  }
  assert.deepEqual(pageErrors, [], "no uncaught errors in the page");
} catch (err) {
  failed = true;
  console.error(`FAIL after ${checks} checks:`, err);
} finally {
  await browser.close();
}
if (failed) process.exit(1);
console.log(`console.mjs: ${checks} checks passed`);

// Run LanceDB over an nprobes sweep, ann-benchmarks style (part of vectorbucket bench/peers).
//
// Same inputs and JSON lines as peers.py: reads train/test fvecs, builds a local LanceDB
// table with LanceDB's default vector index (IVF_PQ, exact re-rank of refineFactor×k
// candidates), answers each test query one call at a time, writes returned ids to ivecs.
// Needs node ≥ 20 and, in the node_modules directory named by $LANCEDB_MODULES, the npm
// packages @lancedb/lancedb, @lancedb/lancedb-linux-x64-gnu and apache-arrow (the Go
// wrapper installs them). LanceDB runs its own thread pool; queries are still issued one at a time.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const modules = process.env.LANCEDB_MODULES || path.join(process.cwd(), "node_modules");
const require = createRequire(path.join(modules, "x.js"));
const lancedb = require("@lancedb/lancedb");

function arg(name, def) {
  const i = process.argv.indexOf("--" + name);
  if (i < 0) {
    if (def === undefined) throw new Error("missing --" + name);
    return def;
  }
  return process.argv[i + 1];
}

function readFvecs(file, limit) {
  const buf = fs.readFileSync(file);
  const d = buf.readInt32LE(0);
  const rec = 4 * (d + 1);
  if (d <= 0 || buf.length % rec !== 0) throw new Error(`${file}: not an fvecs file`);
  let n = buf.length / rec;
  if (limit > 0) n = Math.min(n, limit);
  const out = [];
  for (let i = 0; i < n; i++) {
    if (buf.readInt32LE(i * rec) !== d) throw new Error(`${file}: mixed dimensions`);
    out.push(new Float32Array(buf.buffer.slice(buf.byteOffset + i * rec + 4, buf.byteOffset + (i + 1) * rec)));
  }
  return out;
}

function writeIvecs(file, ids, k) {
  const b = Buffer.alloc(ids.length * 4 * (k + 1));
  ids.forEach((row, i) => {
    b.writeInt32LE(k, i * 4 * (k + 1));
    for (let j = 0; j < k; j++) b.writeInt32LE(j < row.length ? row[j] : -1, i * 4 * (k + 1) + 4 * (j + 1));
  });
  fs.writeFileSync(file, b);
}

function dirBytes(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return n;
}

const k = parseInt(arg("k", "10"));
const metric = arg("metric") === "cosine" ? "cosine" : "l2";
const out = arg("out");
const sweep = JSON.parse(arg("sweep", "{}"));
const build = JSON.parse(arg("build", "{}"));
const train = readFvecs(arg("train"), 0);
const test = readFvecs(arg("test"), parseInt(arg("max-test", "0")));
fs.mkdirSync(out, { recursive: true });
const dbDir = path.join(out, "lancedb");
fs.rmSync(dbDir, { recursive: true, force: true });

const t0 = performance.now();
const db = await lancedb.connect(dbDir);
let tbl;
const batch = 10000;
for (let s = 0; s < train.length; s += batch) {
  const rows = [];
  for (let i = s; i < Math.min(train.length, s + batch); i++) rows.push({ id: i, vector: Array.from(train[i]) });
  if (s === 0) tbl = await db.createTable("vectors", rows);
  else await tbl.add(rows);
}
const partitions = build.numPartitions || Math.max(1, Math.round(Math.sqrt(train.length)));
const subVectors = build.numSubVectors || Math.max(1, Math.floor(train[0].length / 16));
if (train.length >= 256) {
  await tbl.createIndex("vector", {
    config: lancedb.Index.ivfPq({ numPartitions: partitions, numSubVectors: subVectors, distanceType: metric }),
  });
}
const buildS = (performance.now() - t0) / 1000;
const nbytes = dirBytes(dbDir);
const refine = build.refineFactor || 10;
const version = JSON.parse(fs.readFileSync(path.join(modules, "@lancedb/lancedb/package.json"))).version;

let n = 0;
for (const p of sweep.nprobes || [1, 2, 5, 10, 20, 50, 100]) {
  const ids = [], lat = [];
  const tAll = performance.now();
  for (const q of test) {
    const ts = performance.now();
    const r = await tbl.vectorSearch(Array.from(q)).distanceType(metric).nprobes(p).refineFactor(refine).limit(k).select(["id"]).toArray();
    lat.push((performance.now() - ts) * 1000);
    ids.push(r.map((x) => Number(x.id)));
  }
  const total = (performance.now() - tAll) / 1000;
  n++;
  const file = path.join(out, `lancedb-${String(n).padStart(3, "0")}.ivecs`);
  writeIvecs(file, ids, k);
  process.stdout.write(JSON.stringify({
    engine: "lancedb", version, build: { numPartitions: partitions, numSubVectors: subVectors, refineFactor: refine },
    search: { nprobes: p }, build_s: buildS, index_bytes: nbytes, ids_path: file,
    latencies_us: lat.map((x) => Math.round(x * 100) / 100), total_s: total, qps: total > 0 ? test.length / total : 0,
  }) + "\n");
}

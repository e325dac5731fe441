// vectorbucket console: talks to the S3 Vectors API of the server that
// serves it, signing requests with SigV4 (WebCrypto) when the server
// requires credentials. No dependencies, no build step.

const $ = (id) => document.getElementById(id);
const enc = new TextEncoder();
let cfg = { apiPrefix: "", region: "us-east-1", auth: false };
let current = { bucket: "", index: "", info: null };

// ---- SigV4 -----------------------------------------------------------------

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (data) => hex(await crypto.subtle.digest("SHA-256", typeof data === "string" ? enc.encode(data) : data));
async function hmac(key, msg) {
  const k = await crypto.subtle.importKey("raw", typeof key === "string" ? enc.encode(key) : key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(msg));
}

// sign returns the headers of a SigV4-signed POST of body to path.
async function sign(path, body, creds) {
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const date = amzDate.slice(0, 8);
  const payloadHash = await sha256(body);
  const headers = { "content-type": "application/json", host: location.host, "x-amz-content-sha256": payloadHash, "x-amz-date": amzDate };
  const names = Object.keys(headers).sort();
  const canonical = ["POST", path.split("/").map(encodeURIComponent).join("/"), "",
    names.map((n) => `${n}:${headers[n]}\n`).join(""), names.join(";"), payloadHash].join("\n");
  const scope = `${date}/${cfg.region}/s3vectors/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha256(canonical)].join("\n");
  let key = await hmac("AWS4" + creds.secret, date);
  for (const part of [cfg.region, "s3vectors", "aws4_request"]) key = await hmac(key, part);
  const sig = hex(await hmac(key, toSign));
  delete headers.host; // the browser sets it
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKey}/${scope}, SignedHeaders=${names.join(";")}, Signature=${sig}`;
  return headers;
}

function creds() {
  const a = sessionStorage.getItem("vb.accessKey"), s = sessionStorage.getItem("vb.secret");
  return a && s ? { accessKey: a, secret: s } : null;
}

// ---- API -------------------------------------------------------------------

class APIError extends Error {
  constructor(type, status, message) { super(`${type} (${status}): ${message}`); this.type = type; this.status = status; }
}

// call posts one S3 Vectors operation and returns { body, headers, ms }.
async function call(op, input) {
  const path = `${cfg.apiPrefix}/${op}`;
  const body = JSON.stringify(input ?? {});
  let headers = { "content-type": "application/json" };
  const c = creds();
  if (c) headers = await sign(path, body, c);
  const t0 = performance.now();
  const resp = await fetch(path, { method: "POST", headers, body });
  const text = await resp.text();
  const ms = performance.now() - t0;
  let doc = {};
  try { doc = text ? JSON.parse(text) : {}; } catch { doc = { message: text }; }
  if (!resp.ok) {
    const type = (resp.headers.get("x-amzn-errortype") || doc.__type || "Error").split(":")[0];
    throw new APIError(type, resp.status, doc.message || doc.Message || text);
  }
  return { body: doc, headers: resp.headers, ms };
}

// all follows nextToken through every page of op, collecting field.
async function all(op, input, field) {
  const out = [];
  let token;
  do {
    const { body } = await call(op, { ...input, ...(token ? { nextToken: token } : {}) });
    out.push(...(body[field] || []));
    token = body.nextToken;
  } while (token);
  return out;
}

// ---- UI helpers ------------------------------------------------------------

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

function showError(err) {
  const box = $("error");
  if (!err) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = err.message || String(err);
  if (err.status === 403 && cfg.auth) box.textContent += "\nSign in with an access key and secret the server accepts.";
}

// guarded runs an async UI action, showing its error instead of losing it.
const guarded = (fn) => async (ev) => {
  ev?.preventDefault?.();
  showError(null);
  try { await fn(ev); } catch (err) { showError(err); }
};

function fillInfo(dl, pairs) {
  dl.replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

const fmt = (x) => (typeof x === "number" ? (Number.isInteger(x) ? x.toLocaleString("en") : x.toPrecision(4)) : String(x));

// ---- buckets and indexes ---------------------------------------------------

async function loadBuckets() {
  const buckets = await all("ListVectorBuckets", {}, "vectorBuckets");
  $("buckets").replaceChildren(...buckets.map((b) =>
    el("li", {}, el("button", { class: b.vectorBucketName === current.bucket ? "sel" : "", "data-bucket": b.vectorBucketName,
      onclick: guarded(() => selectBucket(b.vectorBucketName)) }, b.vectorBucketName))));
  if (!buckets.length) $("buckets").append(el("li", { class: "meta" }, "no buckets yet"));
}

async function selectBucket(name) {
  current = { bucket: name, index: "", info: null };
  $("bucketName").textContent = name;
  $("indexesPane").hidden = false;
  $("indexPane").hidden = true;
  await loadBuckets();
  const indexes = await all("ListIndexes", { vectorBucketName: name }, "indexes");
  const items = await Promise.all(indexes.map(async (ix) => {
    const { body } = await call("GetIndex", { vectorBucketName: name, indexName: ix.indexName });
    return { name: ix.indexName, info: body.index };
  }));
  $("indexes").replaceChildren(...items.map(({ name: ix, info }) =>
    el("li", {}, el("button", { "data-index": ix, onclick: guarded(() => selectIndex(ix, info)) }, ix,
      el("span", { class: "meta" }, `${info.dimension}-d ${info.distanceMetric}`)))));
  if (!items.length) $("indexes").append(el("li", { class: "meta" }, "no indexes in this bucket"));
}

async function selectIndex(name, info) {
  current.index = name;
  current.info = info;
  for (const b of $("indexes").querySelectorAll("button")) b.classList.toggle("sel", b.dataset.index === name);
  $("indexPane").hidden = false;
  $("indexTitle").textContent = `${current.bucket} / ${name}`;
  const nonFilterable = info.metadataConfiguration?.nonFilterableMetadataKeys || [];
  fillInfo($("indexInfo"), [["dimension", info.dimension], ["distance metric", info.distanceMetric],
    ["data type", info.dataType], ["non-filterable keys", nonFilterable.join(", ") || "(none)"], ["ARN", info.indexArn]]);
  for (const id of ["resultsPane", "receiptPane", "chartPane"]) $(id).hidden = true;
}

const ref = () => ({ vectorBucketName: current.bucket, indexName: current.index });

// ---- queries ---------------------------------------------------------------

// queryVector is the vector the query box asks for: a stored key's or JSON.
async function queryVector() {
  const key = $("qKey").value.trim();
  if (key) {
    const { body } = await call("GetVectors", { ...ref(), keys: [key], returnData: true });
    const v = body.vectors?.[0];
    if (!v) throw new Error(`no vector with key "${key}" in ${current.index}`);
    return v.data.float32;
  }
  const text = $("qVector").value.trim();
  if (!text) throw new Error("enter a stored key or a vector");
  let vec;
  try { vec = JSON.parse(text); } catch (e) { throw new Error(`the vector is not JSON: ${e.message}`); }
  if (!Array.isArray(vec) || vec.length !== current.info.dimension) throw new Error(`the vector must be a JSON array of ${current.info.dimension} numbers`);
  return vec;
}

function queryInput(vector, target) {
  const input = { ...ref(), queryVector: { float32: vector }, topK: Number($("qTopK").value) || 10,
    returnDistance: true, returnMetadata: $("qMeta").checked };
  const f = $("qFilter").value.trim();
  if (f) {
    try { input.filter = JSON.parse(f); } catch (e) { throw new Error(`the filter is not JSON: ${e.message}`); }
  }
  const ext = { receipt: true };
  if (target === "exact") ext.exact = true; else if (target) ext.targetRecall = Number(target);
  input.vectorbucket = ext;
  return input;
}

// receiptOf returns the receipt of an answer: the JSON field, else the header.
function receiptOf(res) {
  const r = res.body.vectorbucket?.receipt;
  if (r) return r;
  const h = res.headers.get("x-vectorbucket-receipt");
  if (!h) return null;
  return Object.fromEntries(h.split(";").filter(Boolean).map((kv) => kv.split("=")));
}

async function search() {
  // Say at once that a new answer is coming, so nothing reads the old one.
  $("resultsTitle").textContent = "searching…";
  $("results").tBodies[0].replaceChildren();
  let res;
  try {
    res = await call("QueryVectors", queryInput(await queryVector(), $("qTarget").value));
  } catch (err) {
    $("resultsTitle").textContent = "no answer (see the error above)";
    throw err;
  }
  const vecs = res.body.vectors || [];
  $("resultsTitle").textContent = `${vecs.length} results in ${res.ms.toFixed(1)} ms (${res.body.distanceMetric})`;
  $("results").tHead.replaceChildren(el("tr", {}, el("th", {}, "#"), el("th", {}, "key"), el("th", {}, "distance"), el("th", {}, "metadata")));
  $("results").tBodies[0].replaceChildren(...vecs.map((v, i) => el("tr", {}, el("td", { class: "num" }, i + 1), el("td", {}, v.key),
    el("td", { class: "num" }, v.distance?.toPrecision(6) ?? ""), el("td", {}, el("code", {}, v.metadata ? JSON.stringify(v.metadata) : "")))));
  $("resultsPane").hidden = false;
  const r = receiptOf(res);
  $("receiptPane").hidden = !r;
  if (r) fillInfo($("receipt"), Object.entries(r).map(([k, v]) => [k, fmt(v)]));
}

async function browse() {
  $("resultsTitle").textContent = "listing…";
  $("results").tBodies[0].replaceChildren();
  const { body } = await call("ListVectors", { ...ref(), maxResults: 50, returnMetadata: true });
  const vecs = body.vectors || [];
  $("resultsTitle").textContent = `first ${vecs.length} vectors${body.nextToken ? " (more exist)" : ""}`;
  $("results").tHead.replaceChildren(el("tr", {}, el("th", {}, "key"), el("th", {}, "metadata")));
  $("results").tBodies[0].replaceChildren(...vecs.map((v) => el("tr", {},
    el("td", {}, el("button", { type: "button", class: "linkish", onclick: guarded(async () => { $("qKey").value = v.key; await search(); }) }, v.key)),
    el("td", {}, el("code", {}, v.metadata ? JSON.stringify(v.metadata) : "")))));
  $("resultsPane").hidden = false;
  $("receiptPane").hidden = true;
}

// chart runs the query exactly once, then at each target (best of 3 for
// latency), and plots recall@k against latency.
async function chart() {
  const vector = await queryVector();
  const exact = await call("QueryVectors", queryInput(vector, "exact"));
  const truth = new Set((exact.body.vectors || []).map((v) => v.key));
  const rows = [];
  for (const target of ["0.8", "0.85", "0.9", "0.95", "0.98", "0.99", "exact"]) {
    // Latency is the server's time for the query (the receipt's), best of
    // 3: the browser's round trip adds signing and HTTP, the same for all.
    let best = null, bestMs = Infinity, rtt = Infinity;
    for (let i = 0; i < 3; i++) {
      const res = await call("QueryVectors", queryInput(vector, target));
      const us = Number(receiptOf(res)?.elapsedMicros);
      const ms = Number.isFinite(us) ? us / 1000 : res.ms;
      if (ms < bestMs) { best = res; bestMs = ms; }
      rtt = Math.min(rtt, res.ms);
    }
    const got = (best.body.vectors || []).filter((v) => truth.has(v.key)).length;
    const r = receiptOf(best) || {};
    rows.push({ target, recall: truth.size ? got / truth.size : 1, est: Number(r.estimatedRecall ?? NaN), ms: bestMs, rtt,
      probed: r.neighborhoodsProbed !== undefined ? `${r.neighborhoodsProbed}/${r.neighborhoodsTotal}` : "" });
  }
  $("chartTable").tBodies[0].replaceChildren(...rows.map((p) => el("tr", { "data-target": p.target }, el("td", {}, p.target),
    el("td", { class: "num" }, p.recall.toFixed(3)), el("td", { class: "num" }, Number.isNaN(p.est) ? "" : p.est.toFixed(3)),
    el("td", { class: "num" }, p.ms.toFixed(3)), el("td", { class: "num" }, p.rtt.toFixed(1)), el("td", { class: "num" }, p.probed))));
  $("chartBox").replaceChildren(plot(rows));
  $("chartPane").hidden = false;
}

// plot draws recall (y, 0–1) against latency (x, ms) as an SVG.
function plot(rows) {
  const W = 520, H = 260, L = 48, B = 34, T = 12, R = 16;
  const ns = "http://www.w3.org/2000/svg";
  const s = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const xmax = Math.max(...rows.map((r) => r.ms)) * 1.1 || 1;
  const lowest = Math.min(...rows.map((r) => r.recall), ...rows.filter((r) => !Number.isNaN(r.est)).map((r) => r.est));
  const ymin = Math.min(0.9, Math.max(0, Math.floor((lowest - 0.05) * 20) / 20));
  const x = (ms) => L + (ms / xmax) * (W - L - R);
  const y = (rc) => T + (1 - (rc - ymin) / (1 - ymin)) * (H - T - B);
  const svg = s("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, id: "recallChart", role: "img", "aria-label": "recall against latency" });
  svg.append(s("line", { class: "ax", x1: L, y1: H - B, x2: W - R, y2: H - B }), s("line", { class: "ax", x1: L, y1: T, x2: L, y2: H - B }));
  for (let i = 0; i <= 4; i++) {
    const rc = ymin + ((1 - ymin) * i) / 4, ms = (xmax * i) / 4;
    svg.append(s("text", { x: L - 6, y: y(rc) + 4, "text-anchor": "end" }, rc.toFixed(2)));
    svg.append(s("text", { x: x(ms), y: H - B + 16, "text-anchor": "middle" }, ms.toFixed(ms < 1 ? 2 : ms < 10 ? 1 : 0)));
  }
  svg.append(s("text", { x: (W + L) / 2, y: H - 4, "text-anchor": "middle" }, "server latency (ms, best of 3)"));
  svg.append(s("text", { x: 12, y: (H - B) / 2, transform: `rotate(-90 12 ${(H - B) / 2})`, "text-anchor": "middle" }, "recall@k"));
  // Lines join the targets in order (rows come lowest target first).
  svg.append(s("polyline", { class: "ln", points: rows.map((r) => `${x(r.ms)},${y(r.recall)}`).join(" ") }));
  const est = rows.filter((r) => !Number.isNaN(r.est));
  if (est.length) svg.append(s("polyline", { class: "est", "stroke-dasharray": "4 3", points: est.map((r) => `${x(r.ms)},${y(r.est)}`).join(" ") }));
  for (const r of rows) {
    const c = s("circle", { class: "pt", cx: x(r.ms), cy: y(r.recall), r: 4 });
    c.append(s("title", {}, `target ${r.target}: recall ${r.recall.toFixed(3)} in ${r.ms.toFixed(2)} ms`));
    svg.append(c, s("text", { x: x(r.ms) + 6, y: y(r.recall) - 6 }, r.target));
  }
  return svg;
}

// ---- start -----------------------------------------------------------------

async function start() {
  cfg = await (await fetch("config.json")).json();
  $("version").textContent = `vectorbucket ${cfg.version || ""}`.trim();
  try {
    const h = await fetch(`../health`);
    $("health").textContent = h.ok ? "server ok" : `server ${h.status}`;
    $("health").className = h.ok ? "pill ok" : "pill bad";
  } catch { $("health").textContent = "server unreachable"; $("health").className = "pill bad"; }
  const signedIn = () => {
    const c = creds();
    $("creds").hidden = !cfg.auth || !!c;
    $("who").textContent = c ? `signed in as ${c.accessKey}` : cfg.auth ? "" : "authentication is off";
  };
  signedIn();
  $("creds").addEventListener("submit", guarded(async () => {
    if (!crypto.subtle) throw new Error("this page cannot sign requests: browsers offer WebCrypto only on https:// or localhost pages");
    sessionStorage.setItem("vb.accessKey", $("accessKey").value.trim());
    sessionStorage.setItem("vb.secret", $("secretKey").value);
    signedIn();
    await loadBuckets();
  }));
  $("newBucket").addEventListener("submit", guarded(async () => {
    const name = $("newBucketName").value.trim();
    if (!name) throw new Error("enter a bucket name");
    await call("CreateVectorBucket", { vectorBucketName: name });
    $("newBucketName").value = "";
    await selectBucket(name);
  }));
  $("query").addEventListener("submit", guarded(search));
  $("chart").addEventListener("click", guarded(chart));
  $("browse").addEventListener("click", guarded(browse));
  if (!cfg.auth || creds()) await guarded(loadBuckets)();
}

start();

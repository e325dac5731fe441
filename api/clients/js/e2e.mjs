// End-to-end test of an S3 Vectors endpoint with the official AWS SDK for
// JavaScript v3 (@aws-sdk/client-s3vectors): every operation the SDK has,
// pagination (buckets, indexes, vectors, list segments, query pages), the
// metadata filter language, read-after-write, and the typed errors with
// their HTTP status. api/clients/js_test.go runs it against a freshly
// started vectorbucket; it can also be pointed at any endpoint:
//
//	S3VECTORS_ENDPOINT=http://127.0.0.1:8080 S3VECTORS_ACCESS_KEY_ID=… \
//	S3VECTORS_SECRET_ACCESS_KEY=… node e2e.mjs
//
// Environment: S3VECTORS_ENDPOINT (required), S3VECTORS_REGION (default
// us-east-1), S3VECTORS_ACCESS_KEY_ID and S3VECTORS_SECRET_ACCESS_KEY
// (required: the endpoint must check SigV4, a wrong secret must be refused),
// S3VECTORS_ACCOUNT_ID (optional: the account expected in ARNs). Bucket
// names carry a random suffix; what the run creates it deletes, also on
// failure (best effort). Exit status 0 when every check passed, 1 otherwise.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  S3VectorsClient,
  S3VectorsServiceException,
  AccessDeniedException,
  ConflictException,
  NotFoundException,
  ValidationException,
  CreateVectorBucketCommand,
  GetVectorBucketCommand,
  ListVectorBucketsCommand,
  DeleteVectorBucketCommand,
  PutVectorBucketPolicyCommand,
  GetVectorBucketPolicyCommand,
  DeleteVectorBucketPolicyCommand,
  CreateIndexCommand,
  GetIndexCommand,
  ListIndexesCommand,
  DeleteIndexCommand,
  PutVectorsCommand,
  GetVectorsCommand,
  ListVectorsCommand,
  DeleteVectorsCommand,
  QueryVectorsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ListTagsForResourceCommand,
  paginateListVectorBuckets,
  paginateListIndexes,
  paginateListVectors,
  paginateQueryVectors,
} from "@aws-sdk/client-s3vectors";

const env = (name, def) => {
  const v = process.env[name] ?? def;
  if (v === undefined || v === "") {
    console.error(`e2e.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
};

const endpoint = env("S3VECTORS_ENDPOINT");
const region = env("S3VECTORS_REGION", "us-east-1");
const accessKeyId = env("S3VECTORS_ACCESS_KEY_ID");
const secretAccessKey = env("S3VECTORS_SECRET_ACCESS_KEY");
const wantAccount = process.env.S3VECTORS_ACCOUNT_ID || "";

const sdkVersion = JSON.parse(
  readFileSync(new URL("./node_modules/@aws-sdk/client-s3vectors/package.json", import.meta.url)),
).version;
console.log(`@aws-sdk/client-s3vectors ${sdkVersion} on node ${process.version} against ${endpoint}`);

// Retries off: every error surfaces at once, and a retried 5xx cannot hide.
const newClient = (secret) =>
  new S3VectorsClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey: secret }, maxAttempts: 1 });
const sdk = newClient(secretAccessKey);
let requests = 0;
sdk.middlewareStack.add((next) => (args) => (requests++, next(args)), { step: "finalizeRequest", name: "countRequests" });
const send = (cmd) => sdk.send(cmd);

// ---------------------------------------------------------------- helpers

let steps = 0;
async function step(name, fn) {
  const t0 = performance.now();
  await fn();
  steps++;
  console.log(`ok ${steps} ${name} (${Math.round(performance.now() - t0)} ms)`);
}

// rejects asserts that p fails with the typed error class E, the given
// HTTP status and fault, and the envelope fields every error carries.
async function rejects(what, p, E, status) {
  let err;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${what}: succeeded, want ${E.name}`);
  assert.ok(err instanceof E, `${what}: got ${err?.name} (${err?.message}), want ${E.name}`);
  assert.ok(err instanceof S3VectorsServiceException, `${what}: not an S3VectorsServiceException`);
  assert.equal(err.name, E.name, `${what}: name`);
  assert.equal(err.$metadata?.httpStatusCode, status, `${what}: HTTP status`);
  assert.equal(err.$fault, status >= 500 ? "server" : "client", `${what}: $fault`);
  assert.ok(typeof err.message === "string" && err.message.length > 0, `${what}: empty message`);
  assert.ok(err.$metadata?.requestId, `${what}: no request id (X-Amzn-RequestId)`);
  return err;
}

// A seeded PRNG (mulberry32) so that every run puts the same vectors.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(20261204);

// Vector elements are float32 on the wire: the test keeps float32 values
// (Math.fround) so that what comes back must be bit-for-bit what went in.
const vec = (dim) => Array.from({ length: dim }, () => Math.fround(rand() * 2 - 1));

// sameData asserts that the vector data v came back as the float32 values
// want. The server writes each element as the shortest decimal that reads
// back as the same float32 (-0.034093607), where AWS is documented to write
// the float32 widened to a double (-0.03409360721707344): a JavaScript
// number from it differs from the widened value, its float32 does not.
function sameData(v, want, what) {
  assert.ok(v && Array.isArray(v.float32), `${what}: data ${JSON.stringify(v)}`);
  assert.equal(v.float32.length, want.length, `${what}: dimension`);
  v.float32.forEach((x, i) => assert.equal(Math.fround(x), want[i], `${what}: element ${i} is ${x}, want float32 ${want[i]}`));
}

const l2 = (a, b) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0));
const cosDist = (a, b) => {
  const dot = a.reduce((s, x, i) => s + x * b[i], 0);
  const na = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  const nb = Math.sqrt(b.reduce((s, x) => s + x * x, 0));
  return 1 - dot / (na * nb);
};
const near = (got, want, what) =>
  assert.ok(Math.abs(got - want) <= 1e-4 * (1 + Math.abs(want)), `${what}: distance ${got}, want ${want}`);

async function collect(paginator, field) {
  const items = [];
  let pages = 0;
  for await (const page of paginator) {
    pages++;
    items.push(...(page[field] ?? []));
  }
  return { items, pages };
}

const sorted = (a) => [...a].sort();
const recent = (d, what) => {
  assert.ok(d instanceof Date, `${what}: creationTime is ${typeof d}, want a Date`);
  assert.ok(Math.abs(Date.now() - d.getTime()) < 10 * 60 * 1000, `${what}: creationTime ${d.toISOString()} is not now`);
};

// ---------------------------------------------------------------- the run

const suffix = randomBytes(4).toString("hex");
const bucket = `js-${suffix}`;
const other = `${bucket}-2`;
const created = []; // buckets to remove on failure
let bucketArn, account;

async function run() {
  // Buckets.
  await step("CreateVectorBucket, ConflictException, ValidationException", async () => {
    const out = await send(new CreateVectorBucketCommand({ vectorBucketName: bucket, tags: { team: "search" } }));
    created.push(bucket);
    assert.equal(out.$metadata.httpStatusCode, 200);
    const m = /^arn:aws:s3vectors:([a-z0-9-]+):(\d{12}):bucket\/(.+)$/.exec(out.vectorBucketArn ?? "");
    assert.ok(m, `CreateVectorBucket ARN ${out.vectorBucketArn}`);
    assert.equal(m[1], region);
    assert.equal(m[3], bucket);
    account = m[2];
    if (wantAccount) assert.equal(account, wantAccount, "account in the ARN");
    bucketArn = out.vectorBucketArn;
    await rejects("CreateVectorBucket twice", send(new CreateVectorBucketCommand({ vectorBucketName: bucket })), ConflictException, 409);
    const err = await rejects(
      "CreateVectorBucket Bad_Name",
      send(new CreateVectorBucketCommand({ vectorBucketName: "Bad_Name" })),
      ValidationException,
      400,
    );
    assert.ok(
      Array.isArray(err.fieldList) && err.fieldList.some((f) => f.path === "vectorBucketName" && f.message),
      `ValidationException.fieldList = ${JSON.stringify(err.fieldList)}`,
    );
  });

  await step("GetVectorBucket by name and ARN, NotFoundException", async () => {
    for (const input of [{ vectorBucketName: bucket }, { vectorBucketArn: bucketArn }]) {
      const { vectorBucket: vb } = await send(new GetVectorBucketCommand(input));
      assert.equal(vb.vectorBucketName, bucket);
      assert.equal(vb.vectorBucketArn, bucketArn);
      recent(vb.creationTime, "GetVectorBucket");
    }
    await rejects("GetVectorBucket missing", send(new GetVectorBucketCommand({ vectorBucketName: `${bucket}-missing` })), NotFoundException, 404);
    await rejects(
      "GetVectorBucket name and ARN",
      send(new GetVectorBucketCommand({ vectorBucketName: bucket, vectorBucketArn: bucketArn })),
      ValidationException,
      400,
    );
  });

  await step("ListVectorBuckets (prefix, pages of 1)", async () => {
    await send(new CreateVectorBucketCommand({ vectorBucketName: other }));
    created.push(other);
    const { items, pages } = await collect(
      paginateListVectorBuckets({ client: sdk, pageSize: 1 }, { prefix: bucket }),
      "vectorBuckets",
    );
    assert.deepEqual(items.map((b) => b.vectorBucketName), [bucket, other]);
    assert.ok(pages >= 2, `ListVectorBuckets pages = ${pages}`);
    assert.equal(items[0].vectorBucketArn, bucketArn);
    recent(items[1].creationTime, "ListVectorBuckets");
    const one = await send(new ListVectorBucketsCommand({ prefix: bucket, maxResults: 1 }));
    assert.equal(one.vectorBuckets.length, 1);
    assert.ok(one.nextToken, "ListVectorBuckets maxResults 1: no nextToken");
  });

  // Policies.
  await step("Put/Get/DeleteVectorBucketPolicy", async () => {
    await rejects("GetVectorBucketPolicy unset", send(new GetVectorBucketPolicyCommand({ vectorBucketName: bucket })), NotFoundException, 404);
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: "*", Action: "s3vectors:QueryVectors", Resource: "*" }],
    });
    await send(new PutVectorBucketPolicyCommand({ vectorBucketArn: bucketArn, policy }));
    const got = await send(new GetVectorBucketPolicyCommand({ vectorBucketName: bucket }));
    assert.equal(got.policy, policy);
    await rejects(
      "PutVectorBucketPolicy not JSON",
      send(new PutVectorBucketPolicyCommand({ vectorBucketName: bucket, policy: "not json" })),
      ValidationException,
      400,
    );
    await send(new DeleteVectorBucketPolicyCommand({ vectorBucketName: bucket }));
    await rejects("GetVectorBucketPolicy deleted", send(new GetVectorBucketPolicyCommand({ vectorBucketName: bucket })), NotFoundException, 404);
  });

  // Indexes.
  const dim = 8;
  const idx = "docs.v1";
  const idxArn = `${bucketArn}/index/${idx}`;
  await step("CreateIndex (by name and by bucket ARN), Conflict/NotFound/Validation", async () => {
    const out = await send(
      new CreateIndexCommand({
        vectorBucketName: bucket,
        indexName: idx,
        dataType: "float32",
        dimension: dim,
        distanceMetric: "euclidean",
        metadataConfiguration: { nonFilterableMetadataKeys: ["text"] },
        tags: { env: "test" },
      }),
    );
    assert.equal(out.indexArn, idxArn);
    const base = { indexName: idx, dataType: "float32", dimension: dim, distanceMetric: "cosine" };
    await rejects("CreateIndex twice", send(new CreateIndexCommand({ vectorBucketName: bucket, ...base })), ConflictException, 409);
    await rejects(
      "CreateIndex in a missing bucket",
      send(new CreateIndexCommand({ vectorBucketName: `${bucket}-missing`, ...base })),
      NotFoundException,
      404,
    );
    await rejects(
      "CreateIndex dimension 5000",
      send(new CreateIndexCommand({ vectorBucketName: bucket, ...base, indexName: "big", dimension: 5000 })),
      ValidationException,
      400,
    );
    const cos = await send(
      new CreateIndexCommand({ vectorBucketArn: bucketArn, indexName: "cos", dataType: "float32", dimension: 3, distanceMetric: "cosine" }),
    );
    assert.equal(cos.indexArn, `${bucketArn}/index/cos`);
  });

  await step("GetIndex, ListIndexes (prefix, pages of 1), DeleteVectorBucket not empty", async () => {
    const { index: ix } = await send(new GetIndexCommand({ indexArn: idxArn }));
    assert.equal(ix.indexArn, idxArn);
    assert.equal(ix.indexName, idx);
    assert.equal(ix.vectorBucketName, bucket);
    assert.equal(ix.dataType, "float32");
    assert.equal(ix.dimension, dim);
    assert.equal(ix.distanceMetric, "euclidean");
    assert.deepEqual(ix.metadataConfiguration?.nonFilterableMetadataKeys, ["text"]);
    recent(ix.creationTime, "GetIndex");
    const byName = await send(new GetIndexCommand({ vectorBucketName: bucket, indexName: "cos" }));
    assert.equal(byName.index.distanceMetric, "cosine");
    assert.equal(byName.index.dimension, 3);
    await rejects("GetIndex missing", send(new GetIndexCommand({ vectorBucketName: bucket, indexName: "nope" })), NotFoundException, 404);
    await rejects(
      "GetIndex ARN and name",
      send(new GetIndexCommand({ indexArn: idxArn, indexName: idx })),
      ValidationException,
      400,
    );
    const { items, pages } = await collect(paginateListIndexes({ client: sdk, pageSize: 1 }, { vectorBucketName: bucket }), "indexes");
    assert.deepEqual(items.map((i) => i.indexName), ["cos", idx]);
    assert.ok(pages >= 2, `ListIndexes pages = ${pages}`);
    assert.equal(items[1].indexArn, idxArn);
    assert.equal(items[1].vectorBucketName, bucket);
    recent(items[1].creationTime, "ListIndexes");
    const pre = await send(new ListIndexesCommand({ vectorBucketArn: bucketArn, prefix: "do" }));
    assert.deepEqual(pre.indexes.map((i) => i.indexName), [idx]);
    await rejects("ListIndexes missing bucket", send(new ListIndexesCommand({ vectorBucketName: `${bucket}-missing` })), NotFoundException, 404);
    await rejects("DeleteVectorBucket not empty", send(new DeleteVectorBucketCommand({ vectorBucketName: bucket })), ConflictException, 409);
  });

  // Tags.
  await step("TagResource, UntagResource, ListTagsForResource (bucket and index)", async () => {
    for (const [arn, initial] of [
      [bucketArn, { team: "search" }],
      [idxArn, { env: "test" }],
    ]) {
      assert.deepEqual((await send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, initial);
      await send(new TagResourceCommand({ resourceArn: arn, tags: { owner: "ana", tier: "gold" } }));
      await send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["tier"] }));
      const { tags } = await send(new ListTagsForResourceCommand({ resourceArn: arn }));
      assert.deepEqual(tags, { ...initial, owner: "ana" }, `tags of ${arn}`);
    }
    await rejects(
      "ListTagsForResource missing",
      send(new ListTagsForResourceCommand({ resourceArn: `${bucketArn}-missing` })),
      NotFoundException,
      404,
    );
    await rejects(
      "TagResource non-S3-Vectors ARN",
      send(new TagResourceCommand({ resourceArn: "arn:aws:s3:::plain-bucket", tags: { a: "b" } })),
      ValidationException,
      400,
    );
  });

  // Vectors: the model is what the test believes the index holds.
  const model = new Map();
  const genres = ["drama", "scifi", "noir"];
  // gen 2 (an overwrite) drops "rare": a re-put replaces all metadata.
  const entry = (i, k, gen) => {
    const md = { genre: genres[i % 3], year: 1990 + (i % 37), tags: ["all", `t${i % 5}`], text: `about ${k}`, gen };
    if (gen === 1 && i % 10 === 0) md.rare = true;
    return { data: vec(dim), metadata: md };
  };
  const keys = Array.from({ length: 600 }, (_, i) => `k${String(i).padStart(4, "0")}`);
  const put = async (ks, by, gen = 1) => {
    const vectors = ks.map((k) => {
      const e = entry(keys.indexOf(k), k, gen);
      model.set(k, e);
      return { key: k, data: { float32: e.data }, metadata: e.metadata };
    });
    const where = by === "arn" ? { indexArn: idxArn } : { vectorBucketName: bucket, indexName: idx };
    await send(new PutVectorsCommand({ ...where, vectors }));
  };
  const checkGet = async (ks) => {
    const out = await send(new GetVectorsCommand({ vectorBucketName: bucket, indexName: idx, keys: ks, returnData: true, returnMetadata: true }));
    const want = ks.filter((k) => model.has(k));
    assert.deepEqual(sorted(out.vectors.map((v) => v.key)), sorted(want), "GetVectors keys");
    for (const v of out.vectors) {
      const e = model.get(v.key);
      sameData(v.data, e.data, `GetVectors ${v.key}`);
      assert.deepEqual(v.metadata, e.metadata, `GetVectors ${v.key}: metadata`);
    }
  };

  await step("PutVectors 500 + 100 (by name and by index ARN), GetVectors read-after-write", async () => {
    await put(keys.slice(0, 500), "name");
    await put(keys.slice(500), "arn");
    await checkGet([...keys.slice(0, 49), ...keys.slice(550), "missing-key"]); // 100 keys, the most GetVectors takes
    const bare = await send(new GetVectorsCommand({ indexArn: idxArn, keys: ["k0001", "k0002"] }));
    assert.deepEqual(bare.vectors, [{ key: "k0001" }, { key: "k0002" }], "GetVectors without returnData/returnMetadata");
  });

  const listAll = async (input) => {
    const { items, pages } = await collect(
      paginateListVectors({ client: sdk }, { vectorBucketName: bucket, indexName: idx, ...input }),
      "vectors",
    );
    return { keys: items.map((v) => v.key), items, pages };
  };
  const checkList = async () => {
    const want = sorted(model.keys());
    const seq = await listAll({ maxResults: 150 });
    assert.deepEqual(sorted(seq.keys), want, "ListVectors keys");
    assert.ok(seq.pages >= Math.ceil(want.length / 150), `ListVectors pages = ${seq.pages}`);
    assert.ok(seq.items.every((v) => v.data === undefined && v.metadata === undefined), "ListVectors returned data unasked");
    const segs = [];
    for (let s = 0; s < 4; s++) segs.push(...(await listAll({ maxResults: 100, segmentCount: 4, segmentIndex: s })).keys);
    assert.deepEqual(sorted(segs), want, "ListVectors over 4 segments: every key exactly once");
  };

  await step("ListVectors (pages of 150, 4 segments, returnData/returnMetadata)", async () => {
    await checkList();
    const page = await send(new ListVectorsCommand({ indexArn: idxArn, maxResults: 5, returnData: true, returnMetadata: true }));
    assert.equal(page.vectors.length, 5);
    assert.ok(page.nextToken, "ListVectors maxResults 5: no nextToken");
    for (const v of page.vectors) {
      sameData(v.data, model.get(v.key).data, `ListVectors ${v.key}`);
      assert.deepEqual(v.metadata, model.get(v.key).metadata, `ListVectors ${v.key}: metadata`);
    }
    await rejects(
      "ListVectors segmentIndex >= segmentCount",
      send(new ListVectorsCommand({ indexArn: idxArn, segmentCount: 2, segmentIndex: 2 })),
      ValidationException,
      400,
    );
  });

  // Brute force over the model: keys nearest first (ties by key).
  const exact = (q, pred = () => true) =>
    [...model.entries()]
      .filter(([, e]) => pred(e.metadata))
      .map(([k, e]) => ({ key: k, d: l2(q, e.data) }))
      .sort((a, b) => a.d - b.d || (a.key < b.key ? -1 : 1));
  const query = async (input, pageSize) => {
    const { items, pages } = await collect(
      paginateQueryVectors({ client: sdk, pageSize }, { vectorBucketName: bucket, indexName: idx, ...input }),
      "vectors",
    );
    return { items, pages };
  };
  const checkQuery = async (q, topK, filter, pred) => {
    const { items, pages } = await query({ queryVector: { float32: q }, topK, filter, returnDistance: true, returnMetadata: true });
    const want = exact(q, pred).slice(0, topK);
    assert.equal(items.length, want.length, `QueryVectors(${JSON.stringify(filter)}) topK ${topK}: result count`);
    assert.ok(pages >= Math.ceil(want.length / 100), `QueryVectors pages = ${pages}`);
    assert.equal(new Set(items.map((v) => v.key)).size, items.length, "QueryVectors: a key twice");
    items.forEach((v, i) => {
      assert.ok(model.has(v.key), `QueryVectors returned deleted key ${v.key}`);
      near(v.distance, want[i].d, `QueryVectors result ${i} (${v.key}, want ${want[i].key})`);
      assert.deepEqual(v.metadata, model.get(v.key).metadata, `QueryVectors ${v.key}: metadata`);
    });
    return items;
  };
  const filters = [
    [{ genre: "scifi" }, (m) => m.genre === "scifi"],
    [{ genre: { $ne: "drama" } }, (m) => m.genre !== "drama"],
    [{ year: { $gte: 2000, $lt: 2010 } }, (m) => m.year >= 2000 && m.year < 2010],
    [{ genre: { $in: ["noir", "drama"] } }, (m) => ["noir", "drama"].includes(m.genre)],
    [{ genre: { $nin: ["noir"] } }, (m) => m.genre !== "noir"],
    [{ $and: [{ genre: "scifi" }, { year: { $lte: 2000 } }] }, (m) => m.genre === "scifi" && m.year <= 2000],
    [{ $or: [{ genre: "noir" }, { year: { $gt: 2024 } }] }, (m) => m.genre === "noir" || m.year > 2024],
    [{ tags: "t3" }, (m) => m.tags.includes("t3")], // $eq on a list: any element
    [{ rare: { $exists: true } }, (m) => m.rare !== undefined],
    [{ genre: "drama", $or: [{ rare: true }, { year: 1990 }] }, (m) => m.genre === "drama" && (m.rare === true || m.year === 1990)],
  ];

  await step("QueryVectors: topK 10 and 250 (3 pages), returnDistance/returnMetadata off and on", async () => {
    const q = vec(dim);
    await checkQuery(q, 10);
    await checkQuery(q, 250);
    const bare = await send(new QueryVectorsCommand({ indexArn: idxArn, queryVector: { float32: q }, topK: 3 }));
    assert.equal(bare.distanceMetric, "euclidean");
    assert.deepEqual(bare.vectors, exact(q).slice(0, 3).map((w) => ({ key: w.key })), "QueryVectors without returnDistance/returnMetadata");
    // An indexed vector is its own nearest neighbour, at distance 0.
    const self = await send(
      new QueryVectorsCommand({ indexArn: idxArn, queryVector: { float32: model.get("k0123").data }, topK: 1, returnDistance: true }),
    );
    assert.deepEqual(self.vectors, [{ key: "k0123", distance: 0 }]);
  });

  await step(`QueryVectors with ${filters.length} filters (every match, paged)`, async () => {
    const q = vec(dim);
    for (const [filter, pred] of filters) {
      const n = [...model.values()].filter((e) => pred(e.metadata)).length;
      assert.ok(n > 0 && n < model.size, `filter ${JSON.stringify(filter)} matches ${n} of ${model.size}: a useless test`);
      await checkQuery(q, 600, filter, pred);
    }
  });

  await step("QueryVectors ValidationException: non-filterable key, topK 10001, wrong dimension, bad filter", async () => {
    const q = { float32: vec(dim) };
    await rejects("filter on a non-filterable key", send(new QueryVectorsCommand({ indexArn: idxArn, queryVector: q, topK: 3, filter: { text: "x" } })), ValidationException, 400);
    await rejects("topK 10001", send(new QueryVectorsCommand({ indexArn: idxArn, queryVector: q, topK: 10001 })), ValidationException, 400);
    await rejects("topK 0", send(new QueryVectorsCommand({ indexArn: idxArn, queryVector: q, topK: 0 })), ValidationException, 400);
    await rejects("wrong dimension", send(new QueryVectorsCommand({ indexArn: idxArn, queryVector: { float32: [1, 2] }, topK: 3 })), ValidationException, 400);
    await rejects("unknown operator", send(new QueryVectorsCommand({ indexArn: idxArn, queryVector: q, topK: 3, filter: { genre: { $regex: "x" } } })), ValidationException, 400);
    await rejects("string to $gt", send(new QueryVectorsCommand({ indexArn: idxArn, queryVector: q, topK: 3, filter: { year: { $gt: "2000" } } })), ValidationException, 400);
    await rejects("missing index", send(new QueryVectorsCommand({ vectorBucketName: bucket, indexName: "missing-index", queryVector: q, topK: 3 })), NotFoundException, 404);
  });

  await step("overwrite 20, DeleteVectors 100 (+ absent keys): Get/List/Query see it at once", async () => {
    // Re-putting a key replaces data and metadata; the old vector is gone.
    const old = model.get("k0007").data;
    const fresh = keys.slice(0, 20);
    await put(fresh, "name", 2);
    await checkGet(fresh);
    const top = await send(new QueryVectorsCommand({ indexArn: idxArn, queryVector: { float32: old }, topK: 1, returnDistance: true }));
    assert.notEqual(top.vectors[0].distance, 0, "the overwritten vector k0007 is still searchable");
    const del = keys.slice(500);
    await send(new DeleteVectorsCommand({ vectorBucketName: bucket, indexName: idx, keys: [...del, "never-existed"] }));
    del.forEach((k) => model.delete(k));
    await checkGet(del);
    await checkList();
    await checkQuery(vec(dim), 250);
    await checkQuery(vec(dim), 50, { rare: { $exists: true } }, (m) => m.rare !== undefined);
  });

  await step("PutVectors/GetVectors/DeleteVectors ValidationException and NotFoundException", async () => {
    const where = { vectorBucketName: bucket, indexName: idx };
    const one = (data) => [{ key: "x", data: { float32: data } }];
    await rejects("PutVectors wrong dimension", send(new PutVectorsCommand({ ...where, vectors: one(vec(dim + 1)) })), ValidationException, 400);
    const nan = vec(dim);
    nan[3] = NaN;
    // The SDK sends NaN and ±Infinity as the strings "NaN", "Infinity".
    const nanErr = await rejects("PutVectors NaN", send(new PutVectorsCommand({ ...where, vectors: one(nan) })), ValidationException, 400);
    assert.deepEqual(nanErr.fieldList?.map((f) => f.path), ["vectors[0].data.float32[3]"], "PutVectors NaN: fieldList");
    const inf = vec(dim);
    inf[0] = Infinity;
    await rejects("PutVectors Infinity", send(new PutVectorsCommand({ ...where, vectors: one(inf) })), ValidationException, 400);
    const many = Array.from({ length: 501 }, (_, i) => ({ key: `m${i}`, data: { float32: vec(dim) } }));
    await rejects("PutVectors 501 vectors", send(new PutVectorsCommand({ ...where, vectors: many })), ValidationException, 400);
    await rejects("PutVectors no vectors", send(new PutVectorsCommand({ ...where, vectors: [] })), ValidationException, 400);
    const err = await rejects("GetVectors 101 keys", send(new GetVectorsCommand({ ...where, keys: many.slice(0, 101).map((v) => v.key) })), ValidationException, 400);
    assert.ok(err.fieldList?.some((f) => f.path === "keys"), `fieldList = ${JSON.stringify(err.fieldList)}`);
    await rejects("GetVectors missing index", send(new GetVectorsCommand({ vectorBucketName: bucket, indexName: "missing-index", keys: ["a"] })), NotFoundException, 404);
    await rejects("PutVectors missing bucket", send(new PutVectorsCommand({ vectorBucketName: `${bucket}-missing`, indexName: idx, vectors: one(vec(dim)) })), NotFoundException, 404);
    await rejects("DeleteVectors missing index", send(new DeleteVectorsCommand({ vectorBucketName: bucket, indexName: "missing-index", keys: ["a"] })), NotFoundException, 404);
    await rejects("ListVectors missing index", send(new ListVectorsCommand({ vectorBucketName: bucket, indexName: "missing-index" })), NotFoundException, 404);
    // Nothing of the refused writes landed.
    await checkGet(["x", "m0", "m500"]);
  });

  await step("cosine index: distances are 1 - cosine similarity; zero vector refused", async () => {
    const where = { vectorBucketName: bucket, indexName: "cos" };
    const pts = { east: [1, 0, 0], north: [0, 1, 0], diag: [1, 1, 0], west: [-1, 0, 0] };
    await send(new PutVectorsCommand({ ...where, vectors: Object.entries(pts).map(([key, v]) => ({ key, data: { float32: v } })) }));
    const q = [2, 0.5, 0];
    const out = await send(new QueryVectorsCommand({ ...where, queryVector: { float32: q }, topK: 4, returnDistance: true }));
    assert.equal(out.distanceMetric, "cosine");
    const want = Object.entries(pts)
      .map(([key, v]) => ({ key, d: cosDist(q, v) }))
      .sort((a, b) => a.d - b.d);
    assert.deepEqual(out.vectors.map((v) => v.key), want.map((w) => w.key));
    out.vectors.forEach((v, i) => near(v.distance, want[i].d, `cosine result ${v.key}`));
    await rejects("cosine zero query", send(new QueryVectorsCommand({ ...where, queryVector: { float32: [0, 0, 0] }, topK: 1 })), ValidationException, 400);
    await rejects("cosine zero put", send(new PutVectorsCommand({ ...where, vectors: [{ key: "zero", data: { float32: [0, 0, 0] } }] })), ValidationException, 400);
  });

  await step("a wrong secret is refused: AccessDeniedException (403), nothing created", async () => {
    const wrong = newClient(`${secretAccessKey}-wrong`);
    await rejects("CreateVectorBucket with a wrong secret", wrong.send(new CreateVectorBucketCommand({ vectorBucketName: `${bucket}-wrong` })), AccessDeniedException, 403);
    await rejects("GetVectorBucket of the refused bucket", send(new GetVectorBucketCommand({ vectorBucketName: `${bucket}-wrong` })), NotFoundException, 404);
  });

  await step("DeleteIndex, DeleteVectorBucket: gone at once, NotFoundException after", async () => {
    for (const name of [idx, "cos"]) {
      await send(new DeleteIndexCommand({ vectorBucketName: bucket, indexName: name }));
      await rejects("GetIndex after DeleteIndex", send(new GetIndexCommand({ vectorBucketName: bucket, indexName: name })), NotFoundException, 404);
    }
    await rejects("DeleteIndex twice", send(new DeleteIndexCommand({ indexArn: idxArn })), NotFoundException, 404);
    await rejects("QueryVectors deleted index", send(new QueryVectorsCommand({ indexArn: idxArn, queryVector: { float32: vec(dim) }, topK: 1 })), NotFoundException, 404);
    assert.deepEqual((await send(new ListIndexesCommand({ vectorBucketName: bucket }))).indexes, []);
    await send(new DeleteVectorBucketCommand({ vectorBucketArn: bucketArn }));
    await send(new DeleteVectorBucketCommand({ vectorBucketName: other }));
    created.length = 0;
    for (const b of [bucket, other]) {
      await rejects("GetVectorBucket after delete", send(new GetVectorBucketCommand({ vectorBucketName: b })), NotFoundException, 404);
    }
    await rejects("DeleteVectorBucket twice", send(new DeleteVectorBucketCommand({ vectorBucketName: bucket })), NotFoundException, 404);
    const left = await send(new ListVectorBucketsCommand({ prefix: bucket }));
    assert.deepEqual(left.vectorBuckets, []);
  });
}

// cleanup removes what a failed run left behind (best effort).
async function cleanup() {
  for (const b of created) {
    try {
      const { indexes } = await send(new ListIndexesCommand({ vectorBucketName: b }));
      for (const i of indexes) await send(new DeleteIndexCommand({ vectorBucketName: b, indexName: i.indexName }));
      await send(new DeleteVectorBucketCommand({ vectorBucketName: b }));
    } catch (e) {
      console.error(`cleanup of ${b}: ${e.name}: ${e.message}`);
    }
  }
}

const t0 = performance.now();
try {
  await run();
  console.log(`PASS: ${steps} steps, ${requests} requests in ${Math.round(performance.now() - t0)} ms`);
} catch (e) {
  console.error(`FAIL after ${steps} steps:`);
  console.error(e);
  await cleanup();
  process.exitCode = 1;
}

#!/usr/bin/python3
"""Run one peer ANN engine over a parameter sweep, ann-benchmarks style.

Part of vectorbucket (bench/peers). Reads train and test vectors from fvecs files, builds
the index once, then for each search parameter answers every test query one at a time on
one thread, timing each call. For each sweep point it writes the returned ids to an ivecs
file (k per query, -1 padded) and prints one JSON line:

  {"engine", "build": {...}, "search": {...}, "build_s", "index_bytes", "ids_path",
   "latencies_us": [...], "total_s", "qps"}

Engines: hnswlib (M, efConstruction; sweep ef), faiss-ivf (IndexIVFFlat: nlist; sweep
nprobe), faiss-hnsw (IndexHNSWFlat: M, efConstruction; sweep efSearch). Cosine is served
as inner product on unit-normalised vectors (hnswlib: its "cosine" space). Needs Debian
python3-hnswlib, python3-faiss, python3-numpy (and libopenblas0-pthread) under
/usr/bin/python3. Debian's faiss is a generic build without AVX2 kernels.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np


def read_fvecs(path, limit=0):
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        raise SystemExit(f"{path}: empty")
    d = int(raw[0])
    if d <= 0 or raw.size % (d + 1) != 0:
        raise SystemExit(f"{path}: not an fvecs file (dimension {d}, {raw.size} words)")
    m = raw.reshape(-1, d + 1)
    if not (m[:, 0] == d).all():
        raise SystemExit(f"{path}: mixed dimensions")
    v = m[:, 1:].copy().view(np.float32)
    return v[:limit] if limit else v


def write_ivecs(path, ids, k):
    out = np.full((len(ids), k + 1), -1, dtype=np.int32)
    out[:, 0] = k
    for i, row in enumerate(ids):
        row = np.asarray(row, dtype=np.int64)[:k]
        out[i, 1:1 + len(row)] = row
    out.tofile(path)


def normalise(x):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1
    return (x / n).astype(np.float32)


def timed_batch(search_batch, test, threads):
    """Answers all queries in one call on `threads` threads (ann-benchmarks' batch mode).
    Latencies are not measured per query: each is reported as the thread time a query
    took on average (total x threads / queries)."""
    t0 = time.perf_counter()
    ids = search_batch(test)
    total = time.perf_counter() - t0
    per = total * threads / max(1, len(test)) * 1e6
    return [row for row in ids], [per] * len(test), total


def timed_queries(search, test, k):
    ids, lat = [], []
    t_all = time.perf_counter()
    for q in test:
        t0 = time.perf_counter()
        r = search(q, k)
        lat.append((time.perf_counter() - t0) * 1e6)
        ids.append(r)
    total = time.perf_counter() - t_all
    return ids, lat, total


def index_bytes_faiss(faiss, index):
    return int(faiss.serialize_index(index).nbytes)


def run_hnswlib(args, train, test, sweep, emit):
    import hnswlib
    space = "cosine" if args.metric == "cosine" else "l2"
    m, efc = int(args.build.get("M", 16)), int(args.build.get("efConstruction", 200))
    t0 = time.perf_counter()
    index = hnswlib.Index(space=space, dim=train.shape[1])
    index.init_index(max_elements=len(train), ef_construction=efc, M=m, random_seed=100)
    index.set_num_threads(args.build_threads)
    index.add_items(train, np.arange(len(train)))
    build_s = time.perf_counter() - t0
    index.set_num_threads(1)
    with tempfile.NamedTemporaryFile(dir=args.out) as f:
        index.save_index(f.name)
        nbytes = os.path.getsize(f.name)
    for ef in sweep.get("ef", [10, 20, 40, 80, 120, 200, 400, 800]):
        index.set_ef(max(int(ef), args.k))
        if args.search_threads > 1:
            index.set_num_threads(args.search_threads)
            ids, lat, total = timed_batch(lambda t: index.knn_query(t, k=args.k, num_threads=args.search_threads)[0],
                                          test, args.search_threads)
        else:
            ids, lat, total = timed_queries(lambda q, k: index.knn_query(q, k=k, num_threads=1)[0][0], test, args.k)
        emit({"M": m, "efConstruction": efc}, {"ef": int(ef)}, build_s, nbytes, ids, lat, total)


def run_faiss(args, train, test, sweep, emit, kind):
    import faiss
    faiss.omp_set_num_threads(args.build_threads)
    d = train.shape[1]
    metric = faiss.METRIC_INNER_PRODUCT if args.metric == "cosine" else faiss.METRIC_L2
    if args.metric == "cosine":
        train, test = normalise(train), normalise(test)
    t0 = time.perf_counter()
    if kind == "ivf":
        nlist = int(args.build.get("nlist", max(16, min(4096, int(np.sqrt(len(train)))))))
        quantizer = faiss.IndexFlat(d, metric)
        index = faiss.IndexIVFFlat(quantizer, d, nlist, metric)
        index.train(train)
        index.add(train)
        build = {"nlist": nlist}
        knob, values = "nprobe", [v for v in sweep.get("nprobe", [1, 2, 4, 8, 16, 32, 64, 128, 256]) if v <= nlist]
    else:
        m, efc = int(args.build.get("M", 16)), int(args.build.get("efConstruction", 200))
        index = faiss.IndexHNSWFlat(d, m, metric)
        index.hnsw.efConstruction = efc
        index.add(train)
        build = {"M": m, "efConstruction": efc}
        knob, values = "efSearch", sweep.get("efSearch", [16, 32, 64, 128, 256, 512])
    build_s = time.perf_counter() - t0
    nbytes = index_bytes_faiss(faiss, index)
    faiss.omp_set_num_threads(args.search_threads)
    for v in values:
        if kind == "ivf":
            index.nprobe = int(v)
        else:
            index.hnsw.efSearch = max(int(v), args.k)

        def search(q, k):
            _, i = index.search(q.reshape(1, -1), k)
            return i[0]

        if args.search_threads > 1:
            ids, lat, total = timed_batch(lambda t: index.search(t, args.k)[1], test, args.search_threads)
        else:
            ids, lat, total = timed_queries(search, test, args.k)
        emit(build, {knob: int(v)}, build_s, nbytes, ids, lat, total)


def engine_version(engine):
    try:
        if engine == "hnswlib":
            import importlib.metadata
            return importlib.metadata.version("hnswlib")
        import faiss
        return faiss.__version__
    except Exception:  # version is informational only
        return "unknown"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", required=True, choices=["hnswlib", "faiss-ivf", "faiss-hnsw"])
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--metric", required=True, choices=["euclidean", "cosine"])
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--out", required=True, help="directory for the ivecs result files")
    p.add_argument("--build", default="{}", help="JSON object of build parameters")
    p.add_argument("--sweep", default="{}", help='JSON object: knob -> list, e.g. {"ef": [10, 40]}')
    p.add_argument("--build-threads", type=int, default=1)
    p.add_argument("--search-threads", type=int, default=1,
                   help="1: one query at a time; N > 1: all queries in one batch call on N threads")
    p.add_argument("--max-test", type=int, default=0)
    args = p.parse_args()
    args.build = json.loads(args.build)
    sweep = json.loads(args.sweep)
    train = read_fvecs(args.train)
    test = read_fvecs(args.test, args.max_test)
    if train.shape[1] != test.shape[1]:
        raise SystemExit("train and test dimensions differ")
    os.makedirs(args.out, exist_ok=True)
    n = [0]
    version = engine_version(args.engine)

    def emit(build, search, build_s, nbytes, ids, lat, total):
        n[0] += 1
        path = os.path.join(args.out, f"{args.engine}-{n[0]:03d}.ivecs")
        write_ivecs(path, ids, args.k)
        print(json.dumps({
            "engine": args.engine, "version": version, "build": build, "search": search, "build_s": build_s,
            "index_bytes": nbytes, "ids_path": path, "latencies_us": [round(x, 2) for x in lat],
            "total_s": total, "qps": len(lat) / total if total > 0 else 0.0, "search_threads": args.search_threads,
        }), flush=True)

    if args.engine == "hnswlib":
        run_hnswlib(args, train, test, sweep, emit)
    else:
        run_faiss(args, train, test, sweep, emit, args.engine.split("-")[1])


if __name__ == "__main__":
    sys.exit(main())

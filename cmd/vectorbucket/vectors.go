package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
)

func runPut(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const help = `Puts (inserts or replaces) one vector, given by --key, --vector and
--metadata, or as one JSON object with --json:
  {"key":"doc-1","data":{"float32":[0.1,0.2]},"metadata":{"genre":"drama"}}`
	var cf clientFlags
	var ixf indexFlags
	var out outputFlag
	var key, vector, metadata, js string
	fs := newFlags("put", "put --bucket B --index I (--key K --vector V [--metadata JSON] | --json OBJ)", help, stdout, stderr)
	cf.add(fs)
	ixf.add(fs)
	out.add(fs)
	fs.StringVar(&key, "key", "", "vector key")
	fs.StringVar(&vector, "vector", "", `vector as "0.1,0.2,…", "[0.1,0.2]" or @file`)
	fs.StringVar(&metadata, "metadata", "", `metadata JSON object, e.g. {"genre":"drama"}`)
	fs.StringVar(&js, "json", "", "the whole vector as a JSON object (instead of --key/--vector/--metadata)")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := out.check(stderr, "put"); err != nil {
		return err
	}
	ref, err := ixf.ref(stderr, "put")
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(stderr, "put", "unexpected argument %q", pos[0])
	}
	var v api.PutInputVector
	if js != "" {
		if key != "" || vector != "" || metadata != "" {
			return usagef(stderr, "put", "--json replaces --key, --vector and --metadata; give one or the other")
		}
		var req api.PutVectorsRequest
		if e := api.Decode([]byte(`{"vectorBucketName":"placeholder","indexName":"placeholder","vectors":[`+js+`]}`), &req); e != nil {
			return usagef(stderr, "put", "--json: %v", e)
		}
		v = req.Vectors[0]
	} else {
		if key == "" {
			return usagef(stderr, "put", "--key is required (or give the whole vector with --json)")
		}
		data, err := parseVector(vector)
		if err != nil {
			return usagef(stderr, "put", "%v", err)
		}
		v = api.PutInputVector{Key: key, Data: api.Float32Vector(data)}
		if metadata != "" {
			if err := json.Unmarshal([]byte(metadata), &v.Metadata); err != nil {
				return usagef(stderr, "put", "--metadata is not a JSON object: %v", err)
			}
		}
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	if err := c.PutVectors(ctx, &api.PutVectorsRequest{IndexRef: ref, Vectors: []api.PutInputVector{v}}); err != nil {
		return friendly(err, cf.endpoint)
	}
	if out.json() {
		return printJSON(stdout, map[string]any{"vectorBucketName": ixf.bucket, "indexName": ixf.index, "key": v.Key, "put": true})
	}
	t := newTable(stdout, "INDEX", "KEY", "DIMENSION", "STATUS")
	t.row(ixf.String(), v.Key, len(v.Data.Float32), "put")
	return t.flush()
}

// getAll fetches keys in GetVectors batches of 100, in the order given.
func getAll(ctx context.Context, c *client.Client, ref api.IndexRef, keys []string, data, metadata bool, at *api.ReadExtension) ([]api.GetOutputVector, error) {
	var all []api.GetOutputVector
	for chunk := range slices.Chunk(keys, api.MaxGetVectors) {
		res, err := c.GetVectors(ctx, &api.GetVectorsRequest{IndexRef: ref, Keys: chunk, ReturnData: data, ReturnMetadata: metadata, Vectorbucket: at})
		if err != nil {
			return nil, err
		}
		all = append(all, res.Vectors...)
	}
	return all, nil
}

// missing returns the keys that are not among got.
func missing(keys []string, got []api.GetOutputVector) []string {
	have := make(map[string]bool, len(got))
	for _, v := range got {
		have[v.Key] = true
	}
	var m []string
	for _, k := range keys {
		if !have[k] {
			m = append(m, k)
		}
	}
	return m
}

func runGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf clientFlags
	var ixf indexFlags
	var out outputFlag
	var data, metadata bool
	fs := newFlags("get", "get --bucket B --index I [--data] [--metadata] KEY...",
		`Prints the vectors with the given keys; keys that do not exist are named on
stderr (table) or left out (json: an array of the vectors found).`, stdout, stderr)
	cf.add(fs)
	ixf.add(fs)
	out.add(fs)
	fs.BoolVar(&data, "data", false, "include the vector data")
	fs.BoolVar(&metadata, "metadata", true, "include the metadata")
	var snap snapshotFlag
	snap.add(fs)
	keys, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := out.check(stderr, "get"); err != nil {
		return err
	}
	ref, err := ixf.ref(stderr, "get")
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return usagef(stderr, "get", "at least one KEY is required")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	got, err := getAll(ctx, c, ref, keys, data, metadata, snap.read())
	if err != nil {
		return friendly(err, cf.endpoint)
	}
	if out.json() {
		if got == nil {
			got = []api.GetOutputVector{}
		}
		return printJSON(stdout, got)
	}
	if len(got) > 0 {
		t := newTable(stdout, vectorHeader(data, metadata)...)
		for _, v := range got {
			t.row(vectorRow(v, data, metadata)...)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if m := missing(keys, got); len(m) > 0 {
		fmt.Fprintf(stderr, "not found in %s: %s\n", ixf.String(), strings.Join(m, ", "))
	}
	return nil
}

func vectorHeader(data, metadata bool) []string {
	h := []string{"KEY"}
	if metadata {
		h = append(h, "METADATA")
	}
	if data {
		h = append(h, "DATA")
	}
	return h
}

func vectorRow(v api.GetOutputVector, data, metadata bool) []any {
	r := []any{v.Key}
	if metadata {
		r = append(r, metadataCell(v.Metadata))
	}
	if data {
		r = append(r, vectorCell(v.Data))
	}
	return r
}

// listFlushEvery bounds how many table rows list buffers to align them.
const listFlushEvery = 10000

func runList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf clientFlags
	var ixf indexFlags
	var out outputFlag
	var data, metadata bool
	var limit int
	var filter string
	fs := newFlags("list", "list --bucket B --index I [--data] [--metadata] [--limit N] [--filter JSON]",
		`Lists the vectors of an index, following every page: a table of keys,
a JSON array (--output json), or one JSON object per line (--output jsonl).
--filter lists only the vectors whose metadata matches a filter (a
vectorbucket extension; the QueryVectors filter language).
Tables are aligned in blocks of 10,000 rows.`, stdout, stderr)
	cf.add(fs)
	ixf.add(fs)
	out.add(fs, outJSONL)
	fs.BoolVar(&data, "data", false, "include the vector data")
	fs.BoolVar(&metadata, "metadata", false, "include the metadata")
	fs.IntVar(&limit, "limit", 0, "stop after this many vectors (0: all)")
	fs.StringVar(&filter, "filter", "", "only vectors whose metadata matches this filter (JSON)")
	var snap snapshotFlag
	snap.add(fs)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := out.check(stderr, "list"); err != nil {
		return err
	}
	ref, err := ixf.ref(stderr, "list")
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(stderr, "list", "unexpected argument %q", pos[0])
	}
	if limit < 0 {
		return usagef(stderr, "list", "--limit must be 0 or more")
	}
	if filter != "" && !json.Valid([]byte(filter)) {
		return usagef(stderr, "list", "--filter is not valid JSON: %s", filter)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	return friendly(listVectors(ctx, c, ref, data, metadata, limit, out.format, stdout, stderr, listFilterExt(snap.read(), filter)), cf.endpoint)
}

func listVectors(ctx context.Context, c *client.Client, ref api.IndexRef, data, metadata bool, limit int, format string, stdout, stderr io.Writer, at *api.ReadExtension) error {
	enc := json.NewEncoder(stdout)
	var t *table
	n := 0
	if format == outJSON {
		io.WriteString(stdout, "[")
	}
	for v, err := range c.AllVectors(ctx, &api.ListVectorsRequest{IndexRef: ref, ReturnData: data, ReturnMetadata: metadata, Vectorbucket: at}) {
		if err != nil {
			return err
		}
		switch format {
		case outJSON:
			if n > 0 {
				io.WriteString(stdout, ",")
			}
			io.WriteString(stdout, "\n  ")
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			stdout.Write(b)
		case outJSONL:
			if err := enc.Encode(v); err != nil {
				return err
			}
		default:
			if t == nil {
				t = newTable(stdout, vectorHeader(data, metadata)...)
			}
			t.row(vectorRow(v, data, metadata)...)
			if (n+1)%listFlushEvery == 0 {
				if err := t.flush(); err != nil {
					return err
				}
			}
		}
		if n++; limit > 0 && n >= limit {
			break
		}
	}
	switch {
	case format == outJSON:
		if n > 0 {
			io.WriteString(stdout, "\n")
		}
		_, err := io.WriteString(stdout, "]\n")
		return err
	case t != nil:
		return t.flush()
	case format == outTable:
		fmt.Fprintf(stderr, "no vectors in %s/%s\n", ref.VectorBucketName, ref.IndexName)
	}
	return nil
}

func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf clientFlags
	var ixf indexFlags
	var out outputFlag
	var vector, key, filter string
	var topK int
	var metadata bool
	var receipt, exact bool
	var targetRecall float64
	fs := newFlags("query", "query --bucket B --index I (--vector V | --key K) [--top-k K] [--filter JSON] [--receipt] [--target-recall F | --exact]",
		`Prints the topK nearest vectors, nearest first, with their distances.
--key K queries with the vector stored under K (the results include K
itself, at distance 0, unless a filter excludes it).
A filter is an S3 Vectors metadata filter, e.g. {"genre":{"$in":["drama","noir"]}}.
--receipt prints what the query did (neighborhoods probed, vectors scored,
store and cache reads, estimated recall) after the table, or as "receipt"
in the JSON; --target-recall and --exact tune the search (vectorbucket
extensions, see docs/extensions.md).`, stdout, stderr)
	cf.add(fs)
	ixf.add(fs)
	out.add(fs)
	fs.StringVar(&vector, "vector", "", `query vector as "0.1,0.2,…", "[0.1,0.2]" or @file`)
	fs.StringVar(&key, "key", "", "query with the vector stored under this key")
	fs.IntVar(&topK, "top-k", 10, "number of results, 1-10000")
	fs.StringVar(&filter, "filter", "", "metadata filter (JSON)")
	fs.BoolVar(&metadata, "metadata", true, "include the metadata of each result")
	fs.BoolVar(&receipt, "receipt", false, "print the query receipt")
	fs.Float64Var(&targetRecall, "target-recall", 0, "recall@10 the planner should aim at, 0.8-1 (default: the index's)")
	fs.BoolVar(&exact, "exact", false, "search every vector (brute force)")
	var snap snapshotFlag
	snap.add(fs)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := out.check(stderr, "query"); err != nil {
		return err
	}
	ref, err := ixf.ref(stderr, "query")
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef(stderr, "query", "unexpected argument %q", pos[0])
	case vector == "" && key == "":
		return usagef(stderr, "query", "--vector or --key is required")
	case vector != "" && key != "":
		return usagef(stderr, "query", "give --vector or --key, not both")
	case topK < 1 || topK > api.MaxTopK:
		return usagef(stderr, "query", "--top-k %d is out of range; use 1-%d", topK, api.MaxTopK)
	case filter != "" && !json.Valid([]byte(filter)):
		return usagef(stderr, "query", "--filter is not valid JSON: %s", filter)
	case targetRecall != 0 && (targetRecall < api.MinTargetRecall || targetRecall > api.MaxTargetRecall):
		return usagef(stderr, "query", "--target-recall %g is out of range; use %g-%g", targetRecall, api.MinTargetRecall, api.MaxTargetRecall)
	}
	var q []float32
	if vector != "" {
		if q, err = parseVector(vector); err != nil {
			return usagef(stderr, "query", "--vector: %v", err)
		}
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	if key != "" {
		got, err := getAll(ctx, c, ref, []string{key}, true, false, snap.read())
		if err != nil {
			return friendly(err, cf.endpoint)
		}
		if len(got) == 0 || got[0].Data == nil {
			return fmt.Errorf("query --key: no vector with key %q in %s", key, ixf.String())
		}
		q = got[0].Data.Float32
	}
	req := &api.QueryVectorsRequest{IndexRef: ref, TopK: topK, QueryVector: api.Float32Vector(q), ReturnDistance: true, ReturnMetadata: metadata}
	if filter != "" {
		req.Filter = json.RawMessage(filter)
	}
	if snap.name != "" {
		client.QueryAsOfSnapshot(req, snap.name)
	}
	client.QueryOptions{Receipt: receipt, TargetRecall: targetRecall, Exact: exact}.Apply(req)
	res, metric, rc, err := queryAllReceipt(ctx, c, req)
	if err != nil {
		return friendly(err, cf.endpoint)
	}
	if res == nil {
		res = []api.QueryOutputVector{}
	}
	if out.json() {
		doc := map[string]any{"distanceMetric": metric, "vectors": res}
		if receipt {
			doc["receipt"] = rc
		}
		return printJSON(stdout, doc)
	}
	if len(res) == 0 {
		fmt.Fprintln(stderr, "no results")
		if receipt {
			printReceipt(stdout, rc)
		}
		return nil
	}
	h := []string{"RANK", "KEY", "DISTANCE (" + string(metric) + ")"}
	if metadata {
		h = append(h, "METADATA")
	}
	t := newTable(stdout, h...)
	for i, v := range res {
		d := "-"
		if v.Distance != nil {
			d = strconv.FormatFloat(float64(*v.Distance), 'g', 6, 32)
		}
		r := []any{i + 1, v.Key, d}
		if metadata {
			r = append(r, metadataCell(v.Metadata))
		}
		t.row(r...)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if receipt {
		printReceipt(stdout, rc)
	}
	return nil
}

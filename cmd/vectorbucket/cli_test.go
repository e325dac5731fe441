package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// tableColumn returns the cells under header in a table that the client
// commands print: the header line is the first line that has header as a
// column; cells are cut at the columns' starting offsets (in runes).
func tableColumn(out, header string) []string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		l = l[strings.LastIndexByte(l, '\r')+1:] // a progress bar may share the line
		starts := columnStarts(l)
		col := slices.IndexFunc(starts, func(s int) bool { return strings.HasPrefix(string([]rune(l)[s:]), header) })
		if col < 0 {
			continue
		}
		var cells []string
		for _, row := range lines[i+1:] {
			r := []rune(row)
			if len(r) <= starts[col] {
				continue
			}
			end := len(r)
			if col+1 < len(starts) && starts[col+1] < end {
				end = starts[col+1]
			}
			cells = append(cells, strings.TrimSpace(string(r[starts[col]:end])))
		}
		return cells
	}
	return nil
}

// columnStarts returns where the columns of a header line start: at 0 and
// after every run of two or more spaces.
func columnStarts(l string) []int {
	r := []rune(l)
	starts := []int{0}
	for i := 2; i < len(r); i++ {
		if r[i] != ' ' && r[i-1] == ' ' && r[i-2] == ' ' {
			starts = append(starts, i)
		}
	}
	return starts
}

// checkTable fails t unless out is a table whose header line is exactly
// the given headers and whose every row starts each column at its header.
func checkTable(t *testing.T, what, out string, headers ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 2 {
		t.Errorf("%s: want a header and rows, got %q", what, out)
		return
	}
	head := lines[0]
	starts := columnStarts(head)
	var got []string
	for i, s := range starts {
		end := utf8.RuneCountInString(head)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		got = append(got, strings.TrimSpace(string([]rune(head)[s:end])))
	}
	if !slices.Equal(got, headers) {
		t.Errorf("%s: headers %q, want %q\n%s", what, got, headers, out)
		return
	}
	for _, row := range lines[1:] {
		r := []rune(row)
		for _, s := range starts {
			if s >= len(r) || r[s] == ' ' || s > 0 && r[s-1] != ' ' {
				t.Errorf("%s: row %q is not aligned with the header %q", what, row, head)
				break
			}
		}
	}
}

// checkJSON fails t unless out is exactly one JSON document, and decodes it.
func checkJSON(t *testing.T, what, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(v); err != nil {
		t.Errorf("%s: not JSON: %v\n%s", what, err, out)
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Errorf("%s: more than one JSON document:\n%s", what, out)
	}
}

// cliServer is an in-process server over an in-memory store, counting the
// requests by operation.
type cliServer struct {
	url string
	mu  sync.Mutex
	ops map[string][]int // operation → number of keys/vectors per request
	n   atomic.Int64
}

func newCLIServer(t *testing.T) *cliServer {
	t.Helper()
	db, err := index.Open(context.Background(), mem.New(), index.Options{Region: servertest.Region, Account: servertest.Account})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	srv, err := server.New(server.Config{Backend: server.NewIndexBackend(db), Region: servertest.Region,
		AccountID: servertest.Account, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	cs := &cliServer{ops: map[string][]int{}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.n.Add(1)
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Keys    []string          `json:"keys"`
			Vectors []json.RawMessage `json:"vectors"`
		}
		_ = json.Unmarshal(body, &req)
		cs.mu.Lock()
		op := strings.TrimPrefix(r.URL.Path, "/")
		cs.ops[op] = append(cs.ops[op], len(req.Keys)+len(req.Vectors))
		cs.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	cs.url = hs.URL
	t.Setenv("VECTORBUCKET_ACCESS_KEY_ID", "")
	t.Setenv("VECTORBUCKET_SECRET_ACCESS_KEY", "")
	return cs
}

func (cs *cliServer) sizes(op string) []int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return slices.Clone(cs.ops[op])
}

// run runs a client command in-process against cs.
func (cs *cliServer) run(args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	args = append(args[:1:1], append([]string{"--endpoint", cs.url}, args[1:]...)...)
	err = run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func (cs *cliServer) must(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := cs.run(args...)
	if err != nil {
		t.Fatalf("vectorbucket %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// setupIndex creates bucket b and index ix (dimension 3, euclidean, with
// "title" non-filterable) and puts n vectors k0..k(n-1) = [i,1,0].
func (cs *cliServer) setupIndex(t *testing.T, n int) {
	t.Helper()
	cs.must(t, "buckets", "create", "bkt")
	cs.must(t, "indexes", "create", "--bucket", "bkt", "--dimension", "3", "--metric", "euclidean", "--non-filterable", "title", "idx")
	if n == 0 {
		return
	}
	var jl strings.Builder
	for i := range n {
		fmt.Fprintf(&jl, `{"key":"k%d","vector":[%d,1,0],"metadata":{"n":%d,"title":"T%d"}}`+"\n", i, i, i, i)
	}
	path := filepath.Join(t.TempDir(), "v.jsonl")
	if err := os.WriteFile(path, []byte(jl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cs.must(t, "import", "--bucket", "bkt", "--index", "idx", "--quiet", path)
}

func TestCLIUsageErrorsBeforeAnyRequest(t *testing.T) {
	cs := newCLIServer(t)
	ix := []string{"--bucket", "bkt", "--index", "idx"}
	with := func(cmd string, a ...string) []string { return append(append([]string{cmd}, ix...), a...) }
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"indexes", "create", "--bucket", "bkt", "idx"}, "--dimension is required"},
		{[]string{"indexes", "create", "--bucket", "bkt", "--dimension", "5000", "idx"}, "--dimension 5000 is out of range; use 1-4096"},
		{[]string{"indexes", "create", "--bucket", "bkt", "--dimension", "4", "--metric", "dot", "idx"}, `--metric "dot" is not valid; use cosine or euclidean`},
		{[]string{"indexes", "create", "--dimension", "4", "idx"}, "--bucket is required"},
		{[]string{"indexes", "create", "--bucket", "bkt", "--dimension", "4"}, "NAME is required"},
		{[]string{"indexes", "create", "--bucket", "bkt", "--dimension", "4", "Bad_Name"}, `index name "Bad_Name"`},
		{[]string{"indexes", "frob", "--bucket", "bkt"}, `unknown subcommand "frob"; use create, list, get, delete`},
		{[]string{"buckets", "create", "x"}, `bucket name "x" must be between 3 and 63`},
		{[]string{"buckets", "delete"}, "NAME is required"},
		{[]string{"query", "--index", "idx", "--vector", "1"}, "--bucket is required"},
		{[]string{"query", "--bucket", "bkt", "--vector", "1"}, "--index is required"},
		{[]string{"list"}, "--bucket and --index are required"},
		{with("query"), "--vector or --key is required"},
		{with("query", "--vector", "1,2", "--key", "k"), "give --vector or --key, not both"},
		{with("query", "--vector", "1,2", "--top-k", "0"), "--top-k 0 is out of range"},
		{with("query", "--vector", "1,2", "--filter", "{"), "--filter is not valid JSON"},
		{with("query", "--vector", "1,x"), `"x" is not a number`},
		{with("delete"), "say --all"},
		{with("delete", "--all", "k1"), "give KEYs or --all, not both"},
		{with("get"), "at least one KEY is required"},
		{with("put", "--vector", "1"), "--key is required"},
		{with("put", "--key", "k", "--vector", "1", "--metadata", "[1]"), "--metadata is not a JSON object"},
		{with("import", "x.txt"), `unknown file extension ".txt" for "x.txt"; use --format jsonl|fvecs|parquet|arrow`},
		{with("import", "vectors"), `no file extension on "vectors" to tell the format; use --format jsonl|fvecs|parquet|arrow`},
		{with("import", "-"), "--format is required when reading stdin (-); use --format jsonl|fvecs|parquet|arrow"},
		{with("import", "--format", "csv", "x.csv"), `--format "csv" is not valid; use --format jsonl|fvecs|parquet|arrow`},
		{with("import", "--batch", "501", "x.jsonl"), "--batch must be 1-500"},
		{with("import"), "exactly one FILE (or - for stdin) is required"},
		{with("list", "--output", "yaml"), `--output "yaml" is not valid; use table|json|jsonl`},
	} {
		_, errOut, err := cs.run(c.args...)
		if !errors.Is(err, errUsage) || err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(errOut, c.want) {
			t.Errorf("vectorbucket %s: err %v, stderr %q; want a usage error with %q", strings.Join(c.args, " "), err, errOut, c.want)
		}
	}
	// --output is checked on every client command.
	for _, args := range [][]string{
		{"buckets", "list"}, {"buckets", "create", "abc"}, {"buckets", "delete", "abc"},
		{"indexes", "list", "--bucket", "bkt"}, {"indexes", "get", "--bucket", "bkt", "idx"},
		{"indexes", "create", "--bucket", "bkt", "--dimension", "2", "idx"}, {"indexes", "delete", "--bucket", "bkt", "idx"},
		with("put", "--key", "k", "--vector", "1"), with("import", "x.jsonl"), with("get", "k"),
		with("list"), with("query", "--vector", "1"), with("delete", "k"),
	} {
		args = append(args, "--output", "yaml")
		if _, errOut, err := cs.run(args...); !errors.Is(err, errUsage) || !strings.Contains(errOut, `--output "yaml" is not valid; use table|json`) {
			t.Errorf("vectorbucket %s: %v %q", strings.Join(args, " "), err, errOut)
		}
	}
	if n := cs.n.Load(); n != 0 {
		t.Errorf("usage errors sent %d requests to the server, want none", n)
	}
	// A group without a subcommand prints its help to stderr.
	for _, g := range []string{"buckets", "indexes"} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{g}, &out, &errOut); !errors.Is(err, errUsage) || out.Len() != 0 ||
			!strings.Contains(errOut.String(), "Usage: vectorbucket "+g) {
			t.Errorf("vectorbucket %s: %v, stdout %q, stderr %q", g, err, out.String(), errOut.String())
		}
	}
}

func TestCLIOutputTableAndJSON(t *testing.T) {
	cs := newCLIServer(t)
	path := filepath.Join(t.TempDir(), "v.jsonl")
	if err := os.WriteFile(path, []byte(`{"key":"a","vector":[1,0,0],"metadata":{"title":"A b"}}`+"\n"+`{"key":"bb","vector":[0,1,0]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type step struct {
		args    []string
		headers []string
	}
	steps := func(b string) []step {
		ix := []string{"--bucket", b, "--index", "idx"}
		with := func(cmd string, a ...string) []string { return append(append([]string{cmd}, ix...), a...) }
		return []step{
			{[]string{"buckets", "create", b}, []string{"BUCKET", "ARN"}},
			{[]string{"buckets", "list"}, []string{"NAME", "CREATED", "ARN"}},
			{[]string{"indexes", "create", "--bucket", b, "--dimension", "3", "idx"}, []string{"BUCKET", "INDEX", "DIMENSION", "METRIC", "ARN"}},
			{[]string{"indexes", "list", "--bucket", b}, []string{"NAME", "CREATED", "ARN"}},
			{[]string{"indexes", "get", "--bucket", b, "idx"}, []string{"PROPERTY", "VALUE"}},
			{with("put", "--key", "p", "--vector", "0,0,1"), []string{"INDEX", "KEY", "DIMENSION", "STATUS"}},
			{with("import", "--quiet", path), []string{"INDEX", "IMPORTED", "SKIPPED", "SECONDS", "VECTORS/S"}},
			{with("get", "--data", "a", "bb"), []string{"KEY", "METADATA", "DATA"}},
			{with("list", "--metadata"), []string{"KEY", "METADATA"}},
			{with("query", "--vector", "1,0,0", "--top-k", "3"), []string{"RANK", "KEY", "DISTANCE (cosine)", "METADATA"}},
			{with("delete", "a", "nope"), []string{"INDEX", "DELETED", "NOT FOUND"}},
			{with("delete", "--all"), []string{"INDEX", "DELETED", "NOT FOUND"}},
			{[]string{"indexes", "delete", "--bucket", b, "idx"}, []string{"BUCKET", "INDEX", "STATUS"}},
			{[]string{"buckets", "delete", b}, []string{"BUCKET", "STATUS"}},
		}
	}
	for _, s := range steps("tab") {
		out := cs.must(t, s.args...)
		checkTable(t, strings.Join(s.args, " "), out, s.headers...)
	}
	for _, s := range steps("jsn") {
		out := cs.must(t, append(s.args, "--output", "json")...)
		var v any
		checkJSON(t, strings.Join(s.args, " "), out, &v)
	}
	// The JSON documents say what happened.
	cs.setupIndex(t, 5)
	var q struct {
		DistanceMetric string
		Vectors        []api.QueryOutputVector
	}
	checkJSON(t, "query", cs.must(t, "query", "--bucket", "bkt", "--index", "idx", "--vector", "2,1,0", "-o", "json"), &q)
	if q.DistanceMetric != "euclidean" || len(q.Vectors) != 5 || q.Vectors[0].Key != "k2" || *q.Vectors[0].Distance != 0 {
		t.Errorf("query json: %+v", q)
	}
	var l []api.ListOutputVector
	checkJSON(t, "list", cs.must(t, "list", "--bucket", "bkt", "--index", "idx", "--output", "json"), &l)
	if len(l) != 5 {
		t.Errorf("list json: %d vectors, want 5", len(l))
	}
	if out := cs.must(t, "list", "--bucket", "bkt", "--index", "idx", "--output", "jsonl"); strings.Count(out, "\n") != 5 {
		t.Errorf("list jsonl: %q", out)
	}
	var imp importResult
	checkJSON(t, "import", cs.must(t, "import", "--bucket", "bkt", "--index", "idx", "--quiet", "-o", "json", "--key-prefix", "x", writeFile(t, "w.jsonl", `{"vector":[1,2,3]}`)), &imp)
	if imp.Imported != 1 || imp.IndexName != "idx" {
		t.Errorf("import json: %+v", imp)
	}
	// Flags may follow positional arguments.
	var bk map[string]string
	checkJSON(t, "buckets create", cs.must(t, "buckets", "create", "late-flags", "--output", "json"), &bk)
	if bk["vectorBucketName"] != "late-flags" {
		t.Errorf("buckets create NAME --output json: %v", bk)
	}
	if got := tableColumn(cs.must(t, "query", "--bucket", "bkt", "--index", "idx", "--vector", "0,1,0", "--top-k", "2"), "KEY"); !slices.Equal(got, []string{"k0", "k1"}) {
		t.Errorf("query table keys: %q", got)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCLIQueryByKey(t *testing.T) {
	cs := newCLIServer(t)
	cs.setupIndex(t, 10)
	byKey := cs.must(t, "query", "--bucket", "bkt", "--index", "idx", "--key", "k4", "--top-k", "3", "-o", "json")
	byVec := cs.must(t, "query", "--bucket", "bkt", "--index", "idx", "--vector", "4,1,0", "--top-k", "3", "-o", "json")
	if byKey != byVec {
		t.Errorf("query --key k4 differs from query --vector 4,1,0:\n%s\n%s", byKey, byVec)
	}
	var q struct{ Vectors []api.QueryOutputVector }
	checkJSON(t, "query --key", byKey, &q)
	if len(q.Vectors) != 3 || q.Vectors[0].Key != "k4" || *q.Vectors[0].Distance != 0 {
		t.Errorf("query --key k4: %+v, want k4 itself first", q.Vectors)
	}
	if ops := cs.sizes("GetVectors"); len(ops) != 1 {
		t.Errorf("query --key sent %d GetVectors, want 1", len(ops))
	}
	_, _, err := cs.run("query", "--bucket", "bkt", "--index", "idx", "--key", "nope")
	if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), `no vector with key "nope" in bkt/idx`) {
		t.Errorf("query --key nope: %v", err)
	}
	if n := len(cs.sizes("QueryVectors")); n != 2 {
		t.Errorf("%d QueryVectors requests, want 2 (none for the missing key)", n)
	}
}

func TestCLIDelete(t *testing.T) {
	cs := newCLIServer(t)
	cs.setupIndex(t, 1203)
	out := cs.must(t, "delete", "--bucket", "bkt", "--index", "idx", "k1", "k2", "nope", "k1")
	if d, nf := tableColumn(out, "DELETED"), tableColumn(out, "NOT FOUND"); !slices.Equal(d, []string{"2"}) || !slices.Equal(nf, []string{"1"}) {
		t.Errorf("delete k1 k2 nope: %q", out)
	}
	var got []api.GetOutputVector
	checkJSON(t, "get", cs.must(t, "get", "--bucket", "bkt", "--index", "idx", "-o", "json", "k0", "k1", "k2", "k3"), &got)
	if len(got) != 2 || got[0].Key != "k0" || got[1].Key != "k3" {
		t.Errorf("after delete k1 k2: %+v", got)
	}
	var res struct {
		Deleted  int
		NotFound []string
	}
	checkJSON(t, "delete --all", cs.must(t, "delete", "--bucket", "bkt", "--index", "idx", "--all", "-o", "json"), &res)
	if res.Deleted != 1201 || len(res.NotFound) != 0 {
		t.Errorf("delete --all after deleting 2 of 1203: %+v, want 1201 deleted", res)
	}
	checkJSON(t, "delete --all again", cs.must(t, "delete", "--bucket", "bkt", "--index", "idx", "--all", "--output", "json"), &res)
	if res.Deleted != 0 {
		t.Errorf("second delete --all deleted %d", res.Deleted)
	}
	for _, n := range cs.sizes("DeleteVectors") {
		if n < 1 || n > api.MaxDeleteVectors {
			t.Errorf("a DeleteVectors request with %d keys", n)
		}
	}
	if n := slices.Max(cs.sizes("DeleteVectors")); n != api.MaxDeleteVectors {
		t.Errorf("largest DeleteVectors batch %d, want %d", n, api.MaxDeleteVectors)
	}
	if _, errOut, _ := cs.run("list", "--bucket", "bkt", "--index", "idx"); !strings.Contains(errOut, "no vectors in bkt/idx") {
		t.Errorf("after delete --all: %q", errOut)
	}
}

func TestCLIIndexesGet(t *testing.T) {
	cs := newCLIServer(t)
	cs.setupIndex(t, 1234)
	out := cs.must(t, "indexes", "get", "--bucket", "bkt", "idx")
	props := map[string]string{}
	for i, k := range tableColumn(out, "PROPERTY") {
		props[k] = tableColumn(out, "VALUE")[i]
	}
	for k, want := range map[string]string{"name": "idx", "bucket": "bkt", "dimension": "3", "distance metric": "euclidean",
		"data type": "float32", "non-filterable keys": "title", "vectors": "(not counted; use --count)"} {
		if props[k] != want {
			t.Errorf("indexes get: %s = %q, want %q\n%s", k, props[k], want, out)
		}
	}
	if c, err := time.Parse(time.RFC3339, props["created"]); err != nil || time.Since(c) > time.Hour {
		t.Errorf("indexes get: created %q (%v)", props["created"], err)
	}
	if n := len(cs.sizes("ListVectors")); n != 0 {
		t.Errorf("indexes get without --count listed vectors (%d requests)", n)
	}
	out = cs.must(t, "indexes", "get", "--bucket", "bkt", "--count", "idx")
	if v := tableColumn(out, "VALUE"); len(v) == 0 || v[len(v)-1] != "1234" {
		t.Errorf("indexes get --count: %q", out)
	}
	var doc struct {
		Index       api.Index
		VectorCount *int64
	}
	checkJSON(t, "indexes get -o json", cs.must(t, "indexes", "get", "--bucket", "bkt", "idx", "-o", "json"), &doc)
	if doc.Index.Dimension != 3 || doc.VectorCount != nil {
		t.Errorf("indexes get json: %+v", doc)
	}
	checkJSON(t, "indexes get --count -o json", cs.must(t, "indexes", "get", "--bucket", "bkt", "idx", "--count", "-o", "json"), &doc)
	if doc.VectorCount == nil || *doc.VectorCount != 1234 {
		t.Errorf("indexes get --count json: %+v", doc)
	}
	if _, _, err := cs.run("indexes", "get", "--bucket", "bkt", "nope"); err == nil || !strings.Contains(err.Error(), "NotFoundException") {
		t.Errorf("indexes get nope: %v", err)
	}
	var help bytes.Buffer
	_ = run(context.Background(), []string{"indexes", "--help"}, &help, io.Discard)
	if !strings.Contains(help.String(), "--count counts the vectors by listing") {
		t.Errorf("indexes --help does not explain --count:\n%s", help.String())
	}
}

func withStdin(t *testing.T, data []byte) {
	t.Helper()
	old := stdin
	stdin = bytes.NewReader(data)
	t.Cleanup(func() { stdin = old })
}

func TestCLIImportStdin(t *testing.T) {
	cs := newCLIServer(t)
	cs.setupIndex(t, 0)
	withStdin(t, []byte("{\"key\":\"s1\",\"vector\":[1,2,3]}\n\n{\"key\":\"s2\",\"vector\":[3,2,1]}\n"))
	out := cs.must(t, "import", "--bucket", "bkt", "--index", "idx", "--format", "jsonl", "--quiet", "-")
	if got := tableColumn(out, "IMPORTED"); !slices.Equal(got, []string{"2"}) {
		t.Errorf("import - (jsonl): %q", out)
	}
	var fv bytes.Buffer
	if err := datasets.WriteFvecs(&fv, []float32{1, 1, 1, 2, 2, 2, 3, 3, 3}, 3); err != nil {
		t.Fatal(err)
	}
	withStdin(t, fv.Bytes())
	out = cs.must(t, "import", "--bucket", "bkt", "--index", "idx", "--format", "fvecs", "--key-prefix", "f", "--quiet", "-")
	if got := tableColumn(out, "IMPORTED"); !slices.Equal(got, []string{"3"}) {
		t.Errorf("import - (fvecs): %q", out)
	}
	var got []api.GetOutputVector
	checkJSON(t, "get", cs.must(t, "get", "--bucket", "bkt", "--index", "idx", "--data", "-o", "json", "s2", "f2"), &got)
	if len(got) != 2 || !slices.Equal(got[0].Data.Float32, []float32{3, 2, 1}) || !slices.Equal(got[1].Data.Float32, []float32{3, 3, 3}) {
		t.Errorf("vectors from stdin: %+v", got)
	}
}

// importErr runs an import that must fail and returns its error text.
func importErr(t *testing.T, cs *cliServer, args ...string) string {
	t.Helper()
	out, errOut, err := cs.run(append([]string{"import", "--bucket", "bkt", "--index", "idx", "--quiet"}, args...)...)
	if err == nil || errors.Is(err, errUsage) {
		t.Fatalf("import %v: %v (want a failure)\n%s%s", args, err, out, errOut)
	}
	return err.Error()
}

func TestCLIImportErrorsNameThePlace(t *testing.T) {
	cs := newCLIServer(t)
	cs.setupIndex(t, 0)
	dir := t.TempDir()
	// 1,300 records over 1,302 lines (two blank ones), line 1234 is broken.
	var jl strings.Builder
	rec := 0
	for line := 1; line <= 1302; line++ {
		switch {
		case line == 3 || line == 500:
			jl.WriteString("\n")
		case line == 1234:
			jl.WriteString(`{"key":"bad","vector":[1,2,` + "\n")
			rec++
		default:
			fmt.Fprintf(&jl, `{"vector":[%d,0,1]}`+"\n", line)
			rec++
		}
	}
	path := filepath.Join(dir, "vectors.jsonl")
	if err := os.WriteFile(path, []byte(jl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	msg := importErr(t, cs, "--batch", "100", "--concurrency", "3", "--key-prefix", "r", path)
	// Line 1234 is record 1232 (1-based): 1231 records before it.
	for _, want := range []string{path + ":1234: ", "1231 vectors were committed before the error",
		"the first 1231 records of " + path + " are all in the index", "PutVectors replaces vectors by key", "--skip 1231"} {
		if !strings.Contains(msg, want) {
			t.Errorf("JSONL error %q lacks %q", msg, want)
		}
	}
	// Fix the line and resume with --skip: all 1300 records are in, with
	// the keys a full import gives them.
	fixed := strings.Replace(jl.String(), `{"key":"bad","vector":[1,2,`, `{"key":"bad","vector":[1,2,3]}`, 1)
	if err := os.WriteFile(path, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	out := cs.must(t, "import", "--bucket", "bkt", "--index", "idx", "--quiet", "--key-prefix", "r", "--skip", "1231", path)
	if got := tableColumn(out, "IMPORTED"); !slices.Equal(got, []string{"69"}) {
		t.Errorf("resumed import: %q", out)
	}
	var c struct{ VectorCount int }
	checkJSON(t, "count", cs.must(t, "indexes", "get", "--bucket", "bkt", "--count", "-o", "json", "idx"), &c)
	if c.VectorCount != rec {
		t.Errorf("after the resumed import: %d vectors, want %d", c.VectorCount, rec)
	}
	var got []api.GetOutputVector
	checkJSON(t, "get", cs.must(t, "get", "--bucket", "bkt", "--index", "idx", "-o", "json", "r1230", "bad", "r1232", "r1299"), &got)
	if len(got) != 4 {
		t.Errorf("keys after resume: %+v", got)
	}

	// A vector of the wrong dimension is refused before it is sent.
	p := writeFile(t, "dim.jsonl", `{"key":"a","vector":[1,2,3]}`+"\n"+`{"key":"bkt","vector":[1,2]}`+"\n")
	if msg := importErr(t, cs, p); !strings.Contains(msg, p+`:2: vector "bkt" has 2 dimensions; index bkt/idx has 3`) || !strings.Contains(msg, "--skip 1") {
		t.Errorf("dimension error: %q", msg)
	}
	// A vector the server refuses is named by its line.
	var meta []string
	for i := range 51 {
		meta = append(meta, fmt.Sprintf(`"m%d":%d`, i, i))
	}
	p = writeFile(t, "meta.jsonl", `{"key":"a","vector":[1,2,3]}`+"\n"+`{"key":"bkt","vector":[1,2,3]}`+"\n"+`{"key":"c","vector":[1,2,3],"metadata":{`+strings.Join(meta, ",")+"}}\n")
	if msg := importErr(t, cs, p); !strings.Contains(msg, p+`:3: vector "c" refused: vectors[2].metadata`) || !strings.Contains(msg, "0 vectors were committed") {
		t.Errorf("server refusal: %q", msg)
	}
	// fvecs: the vector number and its byte offset.
	var fv bytes.Buffer
	if err := datasets.WriteFvecs(&fv, make([]float32, 3*10), 3); err != nil {
		t.Fatal(err)
	}
	fv.Write([]byte{3, 0, 0, 0, 1, 2, 3, 4})
	p = filepath.Join(dir, "v.fvecs")
	if err := os.WriteFile(p, fv.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg := importErr(t, cs, "--batch", "4", p); !strings.Contains(msg, p+": vector 11 (byte offset 160): truncated after 1 of 3 values") ||
		!strings.Contains(msg, "10 vectors were committed") || !strings.Contains(msg, "--skip 10") {
		t.Errorf("fvecs error: %q", msg)
	}
	fv.Reset()
	_ = datasets.WriteFvecs(&fv, make([]float32, 4*2), 4)
	p = filepath.Join(dir, "four.fvecs")
	_ = os.WriteFile(p, fv.Bytes(), 0o644)
	if msg := importErr(t, cs, p); !strings.Contains(msg, p+`: vector 1 (byte offset 0): vector "0" has 4 dimensions; index bkt/idx has 3`) {
		t.Errorf("fvecs dimension error: %q", msg)
	}
	if msg := importErr(t, cs, "--skip", "5", p); !strings.Contains(msg, "--skip 5: the input has only 2 records") {
		t.Errorf("--skip past the end: %q", msg)
	}
}

func TestRateMeterStartsAtFirstRequest(t *testing.T) {
	var m rateMeter
	t0 := time.Unix(1000, 0)
	if _, ok := m.rate(t0); ok {
		t.Error("a rate before any request")
	}
	m.begin(t0)
	if _, ok := m.add(500, t0); ok {
		t.Error("a rate from zero elapsed time")
	}
	m.begin(t0.Add(time.Hour)) // later requests do not move the start
	if r, ok := m.add(500, t0.Add(2*time.Second)); !ok || r != 500 {
		t.Errorf("1000 vectors in 2s: %v %v, want 500/s", r, ok)
	}
	if got := progressLine("v.jsonl", 1000, true, 500, true); got != "importing v.jsonl: 1000 vectors, 500 vectors/s" {
		t.Errorf("progress line %q", got)
	}
	if got := progressLine("v.fvecs", 0, false, 0, false); got != "importing v.fvecs" {
		t.Errorf("progress line before the first batch %q", got)
	}
}

func TestImportRateExcludesStartup(t *testing.T) {
	cs := newCLIServer(t)
	cs.setupIndex(t, 0)
	// A clock that moves one second per reading: with the meter started at
	// the first request, one batch takes exactly one second however long
	// start-up took.
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(clock.Add(1), 0) }
	var sb strings.Builder
	for i := range 300 {
		fmt.Fprintf(&sb, `{"key":"%d","vector":[1,2,%d]}`+"\n", i, i)
	}
	withStdin(t, []byte(sb.String()))
	src, err := openSource(context.Background(), "-", importOpts{format: "jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(100) // start-up
	c, _ := (&clientFlags{endpoint: cs.url}).client()
	var bar bytes.Buffer
	im := &importer{c: c, ref: api.IndexRef{VectorBucketName: "bkt", IndexName: "idx"}, o: importOpts{batch: 300, concurrency: 1},
		src: src, dim: 3, stderr: &bar, now: now}
	res, err := im.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 300 || res.Seconds != 1 {
		t.Errorf("import: %+v, want 300 vectors in 1s", res)
	}
	if !strings.Contains(bar.String(), "300 vectors/s") {
		t.Errorf("progress bar does not show 300 vectors/s after the first batch: %q", bar.String())
	}
}

// TestE2ECLIExitCodes runs the binary: usage errors exit 2, other
// failures 1, and "import -" reads a pipe.
func TestE2ECLIExitCodes(t *testing.T) {
	p := startServe(t, t.TempDir(), true)
	exit := func(args ...string) (int, string) {
		out, err := p.cliErr(args...)
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Commands:"},
		{[]string{"buckets"}, 2, "Usage: vectorbucket buckets"},
		{[]string{"indexes"}, 2, "Usage: vectorbucket indexes"},
		{[]string{"indexes", "create", "--bucket", "shop", "items"}, 2, "--dimension is required"},
		{[]string{"import", "--bucket", "shop", "--index", "items", "x.txt"}, 2, `unknown file extension ".txt"`},
		{[]string{"buckets", "create", "shop"}, 0, "bucket/shop"},
		{[]string{"indexes", "create", "--bucket", "shop", "--dimension", "2", "items"}, 0, "items"},
		{[]string{"query", "--bucket", "shop", "--index", "items", "--key", "nope"}, 1, `no vector with key "nope"`},
		{[]string{"indexes", "get", "--bucket", "shop", "nope"}, 1, "NotFoundException"},
	} {
		code, out := exit(c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("vectorbucket %s: exit %d, want %d with %q\n%s", strings.Join(c.args, " "), code, c.code, c.want, out)
		}
	}
	cmd := exec.Command(binPath, "import", "--bucket", "shop", "--index", "items", "--format", "jsonl", "-o", "json", "-")
	cmd.Env = append(os.Environ(), "VECTORBUCKET_ENDPOINT="+p.endpoint, "VECTORBUCKET_ACCESS_KEY_ID="+e2eAccessKey, "VECTORBUCKET_SECRET_ACCESS_KEY="+e2eSecret)
	cmd.Stdin = strings.NewReader(`{"key":"x","vector":[1,2]}` + "\n" + `{"key":"y","vector":[2,1]}` + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("import - : %v\n%s", err, stderr.String())
	}
	var res importResult
	checkJSON(t, "import -", stdout.String(), &res)
	if res.Imported != 2 {
		t.Errorf("import - : %+v", res)
	}
	if m := regexp.MustCompile(`(\d+) vectors/s`).FindStringSubmatch(stderr.String()); m == nil {
		t.Errorf("no rate on the progress bar: %q", stderr.String())
	} else if r, _ := strconv.Atoi(m[1]); r <= 0 {
		t.Errorf("rate %d vectors/s", r)
	}
}

func TestImportCommittedPrefix(t *testing.T) {
	im := &importer{src: &source{name: "x.jsonl"}, committed: 10, pending: map[int]int{}, now: time.Now}
	b := func(start, n int) batch { return batch{start: start, vecs: make([]api.PutInputVector, n)} }
	im.commit(b(20, 10)) // out of order: records 10-19 are not in yet
	if im.committed != 10 || im.imported != 10 {
		t.Fatalf("after a later batch: committed %d imported %d, want 10 10", im.committed, im.imported)
	}
	hint := im.resumeHint()
	if !strings.Contains(hint, "10 vectors were committed") || !strings.Contains(hint, "--skip 10") {
		t.Errorf("hint %q", hint)
	}
	im.commit(b(10, 10))
	if im.committed != 30 || im.imported != 20 {
		t.Fatalf("after the gap closed: committed %d imported %d, want 30 20", im.committed, im.imported)
	}
	if hint := im.resumeHint(); !strings.Contains(hint, "--skip 30") {
		t.Errorf("hint %q", hint)
	}
}

func TestCLINoServerHint(t *testing.T) {
	t.Setenv("VECTORBUCKET_ACCESS_KEY_ID", "")
	addr := freeAddr(t) // nothing listens there
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"buckets", "list", "--endpoint", "http://" + addr}, &out, &errOut)
	if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "no server at http://"+addr) {
		t.Errorf("buckets list with no server: %v", err)
	}
}

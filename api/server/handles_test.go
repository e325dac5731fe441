package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// countingStore counts the Gets of index catalog records.
type countingStore struct {
	objectstore.Store
	catalogGets atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	if strings.HasPrefix(key, "catalog/indexes/") {
		s.catalogGets.Add(1)
	}
	return s.Store.Get(ctx, key)
}

// node is one server process over a shared store.
func node(t *testing.T, st objectstore.Store) *client.Client {
	t.Helper()
	db, err := index.Open(context.Background(), st, index.Options{Region: servertest.Region, Account: servertest.Account,
		Indexer: index.IndexerOptions{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	srv, err := server.New(server.Config{Backend: server.NewIndexBackend(db), Region: servertest.Region, AccountID: servertest.Account,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	cl, err := client.New(client.Options{Endpoint: hs.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func createIndex(t *testing.T, cl *client.Client, dim int) {
	t.Helper()
	if _, err := cl.CreateIndex(context.Background(), &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: "shared"},
		IndexName: "idx", DataType: api.DataTypeFloat32, Dimension: dim, DistanceMetric: api.Euclidean}); err != nil {
		t.Fatal(err)
	}
}

func put(cl *client.Client, key string, vec ...float32) error {
	return cl.PutVectors(context.Background(), &api.PutVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "shared", IndexName: "idx"},
		Vectors: []api.PutInputVector{{Key: key, Data: api.Float32Vector(vec)}}})
}

func query(cl *client.Client, vec ...float32) ([]string, error) {
	out, err := cl.QueryVectors(context.Background(), &api.QueryVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "shared", IndexName: "idx"},
		TopK: 5, QueryVector: api.Float32Vector(vec)})
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, v := range out.Vectors {
		keys = append(keys, v.Key)
	}
	return keys, nil
}

func wantKeys(t *testing.T, what string, got []string, err error, want ...string) {
	t.Helper()
	if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: %v, %v; want %v", what, got, err, want)
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("%s: %v, want NotFoundException", what, err)
	}
}

// TestCachedHandleAcrossNodes: node A keeps its index handles between
// requests; when node B deletes the index, A's very next request through the
// cached handle is NotFound (reads and writes), and once B recreates the
// index under the same name (another dimension, other vectors), A serves the
// new index at once. The same holds for deletes on A itself and for
// DeleteVectorBucket.
func TestCachedHandleAcrossNodes(t *testing.T) {
	ctx := context.Background()
	st := &countingStore{Store: mem.New()}
	a, b := node(t, st), node(t, st)
	if _, err := a.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: "shared"}); err != nil {
		t.Fatal(err)
	}
	createIndex(t, a, 3)
	if err := put(a, "old", 1, 2, 3); err != nil {
		t.Fatal(err)
	}
	keys, err := query(a, 1, 2, 3)
	wantKeys(t, "A before the delete", keys, err, "old")

	// The handle is cached: more requests read no catalog record.
	before := st.catalogGets.Load()
	for range 20 {
		if _, err := query(a, 1, 2, 3); err != nil {
			t.Fatal(err)
		}
		if err := put(a, "old", 1, 2, 3); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.catalogGets.Load() - before; n != 0 {
		t.Errorf("40 requests on a cached handle read the catalog %d times", n)
	}

	if err := b.DeleteIndex(ctx, &api.DeleteIndexRequest{IndexRef: api.IndexRef{VectorBucketName: "shared", IndexName: "idx"}}); err != nil {
		t.Fatal(err)
	}
	_, err = query(a, 1, 2, 3)
	wantNotFound(t, "A's query after B deleted the index", err)
	wantNotFound(t, "A's put after B deleted the index", put(a, "late", 1, 2, 3))

	createIndex(t, b, 4)
	if err := put(b, "new", 4, 3, 2, 1); err != nil {
		t.Fatal(err)
	}
	keys, err = query(a, 4, 3, 2, 1)
	wantKeys(t, "A after B recreated the index", keys, err, "new")
	if err := put(a, "fromA", 4, 3, 2, 0); err != nil {
		t.Fatal(err)
	}
	keys, err = query(b, 4, 3, 2, 1)
	wantKeys(t, "B sees A's put into the new index", keys, err, "new", "fromA")

	// Recreated on B while A holds the handle of the recreated one: A's
	// first request after B's delete+create already sees the newest index.
	if err := b.DeleteIndex(ctx, &api.DeleteIndexRequest{IndexRef: api.IndexRef{VectorBucketName: "shared", IndexName: "idx"}}); err != nil {
		t.Fatal(err)
	}
	createIndex(t, b, 2)
	if err := put(b, "two", 1, 1); err != nil {
		t.Fatal(err)
	}
	keys, err = query(a, 1, 1)
	wantKeys(t, "A after B deleted and recreated between two of A's requests", keys, err, "two")

	// Deletes on A itself.
	if err := a.DeleteIndex(ctx, &api.DeleteIndexRequest{IndexRef: api.IndexRef{VectorBucketName: "shared", IndexName: "idx"}}); err != nil {
		t.Fatal(err)
	}
	_, err = query(a, 1, 1)
	wantNotFound(t, "A's query after its own delete", err)
	_, err = query(b, 1, 1)
	wantNotFound(t, "B's query after A's delete", err)

	// DeleteVectorBucket (on an emptied bucket) leaves nothing to serve.
	if err := a.DeleteVectorBucket(ctx, &api.DeleteVectorBucketRequest{BucketRef: api.BucketRef{VectorBucketName: "shared"}}); err != nil {
		t.Fatal(err)
	}
	_, err = query(a, 1, 1)
	wantNotFound(t, "A's query after the bucket is gone", err)
}

// stubBackend answers QueryVectors with fixed results, so that allocations
// measured through it are the server's alone.
type stubBackend struct {
	server.Backend
	res []api.QueryOutputVector
}

func (s *stubBackend) QueryVectors(_ context.Context, _, _ string, q server.Query) ([]api.QueryOutputVector, api.DistanceMetric, error) {
	if len(q.Vector) != 784 {
		return nil, "", errors.New("bad vector")
	}
	return s.res, api.Euclidean, nil
}

// TestServerQueryPathAllocations bounds what the server itself allocates to
// serve a 784-d QueryVectors request (decode, route, metrics, encode), with
// the backend's own work stubbed out (7 at the time of writing).
func TestServerQueryPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	res := make([]api.QueryOutputVector, 10)
	for i := range res {
		d := float32(i) / 3
		res[i] = api.QueryOutputVector{Key: "key-" + string(rune('a'+i)), Distance: &d}
	}
	srv, err := server.New(server.Config{Backend: &stubBackend{res: res}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	vec := make([]float32, 784)
	for i := range vec {
		vec[i] = float32(i%256) / 7
	}
	body := api.AppendVectorJSON([]byte(`{"vectorBucketName":"bench","indexName":"fashion","topK":10,"returnDistance":true,"queryVector":`), vec)
	body = append(body, '}')
	w := &discardWriter{h: http.Header{}}
	rd := &rewindReader{}
	r, err := http.NewRequest(http.MethodPost, "http://bench/QueryVectors", rd)
	if err != nil {
		t.Fatal(err)
	}
	serve := func() {
		rd.b, rd.p = body, 0
		r.ContentLength = int64(len(body))
		clear(w.h)
		w.status = 0
		srv.ServeHTTP(w, r)
	}
	serve()
	if w.status != http.StatusOK {
		t.Fatalf("status %d", w.status)
	}
	// What is left: the request id, Content-Length, the two names, the
	// response value, gin's and net/http's own.
	const limit = 12
	if n := testing.AllocsPerRun(200, serve); n > limit {
		t.Errorf("the server allocates %.0f times per QueryVectors request, want at most %d", n, limit)
	} else {
		t.Logf("%.0f allocations per request", n)
	}
}

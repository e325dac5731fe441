package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// holdBackend holds PutVectors and QueryVectors on the index named hold
// until release is closed, and reports each held call on entered.
type holdBackend struct {
	server.Backend
	hold    string
	entered chan string
	release chan struct{}
}

func (b *holdBackend) wait(op, index string) {
	if index == b.hold {
		b.entered <- op
		<-b.release
	}
}

func (b *holdBackend) PutVectors(ctx context.Context, bucket, index string, vecs []api.PutInputVector) error {
	b.wait("put", index)
	return b.Backend.PutVectors(ctx, bucket, index, vecs)
}

func (b *holdBackend) QueryVectors(ctx context.Context, bucket, index string, q server.Query) ([]api.QueryOutputVector, api.DistanceMetric, error) {
	b.wait("query", index)
	return b.Backend.QueryVectors(ctx, bucket, index, q)
}

// admissionServer starts a server with cfg's limits over hb, with bucket
// "tbl" holding 4-d indexes "vec" and "other".
func admissionServer(t *testing.T, cfg server.Config) (*testServer, *holdBackend) {
	t.Helper()
	db, err := index.Open(context.Background(), mem.New(), index.Options{Region: servertest.Region, Account: servertest.Account})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	hb := &holdBackend{Backend: server.NewIndexBackend(db), hold: "vec", entered: make(chan string, 64), release: make(chan struct{})}
	cfg.Backend, cfg.Region, cfg.AccountID = hb, servertest.Region, servertest.Account
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	ts := &testServer{Server: hs, srv: srv, db: db}
	mustPost(t, ts, "CreateVectorBucket", `{"vectorBucketName":"tbl"}`)
	for _, ix := range []string{"vec", "other"} {
		mustPost(t, ts, "CreateIndex", `{"vectorBucketName":"tbl","indexName":"`+ix+`","dataType":"float32","dimension":4,"distanceMetric":"euclidean"}`)
	}
	return ts, hb
}

func putBody(ix string) string {
	return `{"vectorBucketName":"tbl","indexName":"` + ix + `","vectors":[{"key":"a","data":` + vecJSON(1, 2, 3, 4) + `}]}`
}

func queryBody(ix string) string {
	return `{"vectorBucketName":"tbl","indexName":"` + ix + `","topK":1,"queryVector":` + vecJSON(1, 2, 3, 4) + `}`
}

// TestIndexAdmission checks the per-index bounds: with one write and one
// query in progress on an index, the next of each kind on that index gets
// TooManyRequestsException (429, Retry-After: 1, the SDK's typed error),
// while the other kind and other indexes are served; once the held calls
// finish the index is served again.
func TestIndexAdmission(t *testing.T) {
	ts, hb := admissionServer(t, server.Config{MaxIndexWrites: 1, MaxIndexQueries: 1})
	var wg sync.WaitGroup
	wg.Go(func() { mustPost(t, ts, "PutVectors", putBody("vec")) })
	<-hb.entered
	wg.Go(func() { mustPost(t, ts, "QueryVectors", queryBody("vec")) })
	<-hb.entered

	for _, c := range []struct{ op, body string }{{"PutVectors", putBody("vec")}, {"QueryVectors", queryBody("vec")}} {
		resp, err := http.Post(ts.URL+"/"+c.op, "application/json", bytes.NewReader([]byte(c.body)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Amzn-ErrorType") != api.CodeTooManyRequests || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("%s on a busy index: %d %q Retry-After %q: %s", c.op, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), resp.Header.Get("Retry-After"), b)
		}
	}
	ctx := context.Background()
	sdk := servertest.NewSDK(ts.URL, "", "")
	_, err := sdk.QueryVectors(ctx, &s3vectors.QueryVectorsInput{VectorBucketName: aws.String("tbl"), IndexName: aws.String("vec"),
		TopK: aws.Int32(1), QueryVector: &types.VectorDataMemberFloat32{Value: []float32{1, 2, 3, 4}}}, func(o *s3vectors.Options) { o.RetryMaxAttempts = 1 })
	servertest.Expect[*types.TooManyRequestsException](t, "SDK QueryVectors on a busy index", err)
	// Other indexes, and reads that are not queries, are not affected.
	mustPost(t, ts, "PutVectors", putBody("other"))
	mustPost(t, ts, "QueryVectors", queryBody("other"))
	mustPost(t, ts, "GetVectors", `{"vectorBucketName":"tbl","indexName":"vec","keys":["a"]}`)

	close(hb.release)
	wg.Wait()
	mustPost(t, ts, "PutVectors", putBody("vec"))
	mustPost(t, ts, "QueryVectors", queryBody("vec"))
}

// attemptLog records when each request of a client was sent and when its
// response came back.
type attemptLog struct {
	mu        sync.Mutex
	sent, got []time.Time
	first     chan struct{} // closed when the first response arrives
}

func (l *attemptLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.sent = append(l.sent, time.Now())
	l.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(r)
	l.mu.Lock()
	l.got = append(l.got, time.Now())
	if len(l.got) == 1 {
		close(l.first)
	}
	l.mu.Unlock()
	return resp, err
}

// TestClientHonoursRetryAfter checks that our client, refused with 429 and
// Retry-After: 1, waits at least a second (its own backoff would be a few
// milliseconds) and then succeeds.
func TestClientHonoursRetryAfter(t *testing.T) {
	ts, hb := admissionServer(t, server.Config{MaxIndexWrites: 1})
	var wg sync.WaitGroup
	wg.Go(func() { mustPost(t, ts, "PutVectors", putBody("vec")) })
	<-hb.entered
	log := &attemptLog{first: make(chan struct{})}
	cl, err := client.New(client.Options{Endpoint: ts.URL, Region: servertest.Region, HTTPClient: &http.Client{Transport: log},
		BaseDelay: time.Millisecond, MaxDelay: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- cl.PutVectors(context.Background(), &api.PutVectorsRequest{IndexRef: api.IndexRef{VectorBucketName: "tbl", IndexName: "vec"},
			Vectors: []api.PutInputVector{{Key: "b", Data: api.VectorData{Float32: []float32{4, 3, 2, 1}}}}})
	}()
	<-log.first
	close(hb.release)
	if err := <-done; err != nil {
		t.Fatalf("PutVectors after a 429: %v", err)
	}
	wg.Wait()
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.sent) != 2 {
		t.Fatalf("%d attempts, want 2 (one refused, one served)", len(log.sent))
	}
	if gap := log.sent[1].Sub(log.got[0]); gap < time.Second {
		t.Errorf("retried %v after the 429; Retry-After asked for 1s", gap)
	}
}

// TestBodyBudget checks MaxBodyBytesInFlight under a flood of 20 MiB
// PutVectors bodies: with a 64 MiB budget and every admitted call held,
// only three are admitted, the other thirteen get ServiceUnavailable (503,
// Retry-After) without their bodies being read, small requests are still
// served, and the heap grows by about the budget, not by the flood.
func TestBodyBudget(t *testing.T) {
	const (
		budget = 64 << 20
		body   = api.MaxRequestBytes // 20 MiB
		flood  = 16
	)
	ts, hb := admissionServer(t, server.Config{MaxBodyBytesInFlight: budget})
	// One valid PutVectors body padded with JSON whitespace to 20 MiB.
	big := []byte(putBody("vec"))
	big = append(big, bytes.Repeat([]byte(" "), body-len(big))...)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var wg sync.WaitGroup
	statuses := make(chan int, flood)
	for range flood {
		wg.Go(func() {
			resp, err := http.Post(ts.URL+"/PutVectors", "application/json", bytes.NewReader(big))
			if err != nil {
				t.Error(err)
				statuses <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			statuses <- resp.StatusCode
		})
	}
	admitted := 0
	for refused := 0; admitted+refused < flood; {
		select {
		case <-hb.entered:
			admitted++
		case st := <-statuses:
			if st != http.StatusServiceUnavailable {
				t.Fatalf("a flooding request got %d before any held one finished, want 503", st)
			}
			refused++
		}
	}
	if want := budget / body; admitted != want {
		t.Errorf("%d of %d 20 MiB bodies admitted under a 64 MiB budget, want %d", admitted, flood, want)
	}
	runtime.GC()
	var held runtime.MemStats
	runtime.ReadMemStats(&held)
	if grew := int64(held.HeapInuse) - int64(before.HeapInuse); grew > budget+body {
		t.Errorf("heap grew by %d MiB during the flood, budget is %d MiB", grew>>20, budget>>20)
	} else {
		t.Logf("heap grew by %d MiB with %d bodies held (budget %d MiB, flood %d MiB)", grew>>20, admitted, budget>>20, flood*body>>20)
	}
	mustPost(t, ts, "GetIndex", `{"vectorBucketName":"tbl","indexName":"vec"}`)
	close(hb.release)
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != http.StatusOK {
			t.Errorf("an admitted request ended with %d", st)
		}
	}
	mustPost(t, ts, "PutVectors", putBody("vec"))
}

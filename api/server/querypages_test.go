package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func queryPage(t *testing.T, url, body string) (api.QueryVectorsResponse, int, []byte) {
	t.Helper()
	st, _, b := call(t, http.MethodPost, url+"/QueryVectors", strings.NewReader(body))
	var out api.QueryVectorsResponse
	if st == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
	}
	return out, st, b
}

// TestQueryPages checks QueryVectors pagination: pages of the configured
// size that together are the topK ranking, tokens bound to their query and
// expiring, and tokens that work on another server process.
func TestQueryPages(t *testing.T) {
	ctx := context.Background()
	db, err := index.Open(ctx, mem.New(), index.Options{Region: "us-east-1", Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	newServer := func() *httptest.Server {
		srv, err := server.New(server.Config{Backend: server.NewIndexBackend(db), QueryPageSize: 40, Now: clock.now,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		return hs
	}
	a, b := newServer(), newServer()
	ts := &testServer{Server: a}
	fixture(t, ts)
	var vs []string
	for i := range 200 {
		vs = append(vs, fmt.Sprintf(`{"key":"p%03d","data":%s}`, i, vecJSON(float64(i), 1000, 0, 0)))
	}
	mustPost(t, ts, "PutVectors", `{"vectorBucketName":"tbl","indexName":"vec","vectors":[`+strings.Join(vs, ",")+`]}`)
	q := func(topK int, token string) string {
		s := fmt.Sprintf(`{"vectorBucketName":"tbl","indexName":"vec","topK":%d,"queryVector":%s,"returnDistance":true`, topK, vecJSON(-1, 1000, 0, 0))
		if token != "" {
			s += `,"nextToken":"` + token + `"`
		}
		return s + "}"
	}
	// Pages 40, 40, 20 on server a: the 100 nearest, in order.
	var keys []string
	tok := ""
	pages := 0
	for {
		out, st, body := queryPage(t, a.URL, q(100, tok))
		if st != 200 {
			t.Fatalf("page %d: %d %s", pages, st, body)
		}
		pages++
		if len(out.Vectors) != min(40, 100-len(keys)) || out.DistanceMetric != api.Euclidean {
			t.Fatalf("page %d: %d vectors", pages, len(out.Vectors))
		}
		for _, v := range out.Vectors {
			keys = append(keys, v.Key)
		}
		if tok = out.NextToken; tok == "" {
			break
		}
	}
	for i, k := range keys {
		if want := fmt.Sprintf("p%03d", i); k != want {
			t.Fatalf("result %d is %s, want %s", i, k, want)
		}
	}
	if pages != 3 {
		t.Fatalf("%d pages, want 3", pages)
	}
	// A topK within one page has no token.
	if out, _, _ := queryPage(t, a.URL, q(40, "")); out.NextToken != "" || len(out.Vectors) != 40 {
		t.Fatalf("topK 40: token %q, %d vectors", out.NextToken, len(out.Vectors))
	}
	first, _, _ := queryPage(t, a.URL, q(100, ""))
	// The token belongs to its query.
	st, h, body := call(t, http.MethodPost, a.URL+"/QueryVectors", strings.NewReader(q(99, first.NextToken)))
	checkError(t, st, h, body, 400, api.CodeValidation)
	// Another server (no kept ranking) serves the same second page.
	second, st, body := queryPage(t, b.URL, q(100, first.NextToken))
	if st != 200 || len(second.Vectors) != 40 || second.Vectors[0].Key != "p040" {
		t.Fatalf("token on another server: %d %s", st, body)
	}
	// Tokens expire.
	clock.add(11 * time.Minute)
	_, st, body = queryPage(t, a.URL, q(100, first.NextToken))
	if st != 400 || !strings.Contains(string(body), "expired") {
		t.Fatalf("expired token: %d %s", st, body)
	}
}

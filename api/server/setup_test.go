package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

const (
	testAccessKey = "AKIDTESTVECTORBUCKET"
	testSecret    = "s3cr3t/test+key"
)

// testServer is a Server over an in-memory store behind httptest.
type testServer struct {
	*httptest.Server
	srv *server.Server
	db  *index.DB
}

// newTestServer starts a server; with signed set it requires SigV4 with
// testAccessKey. wrap, when set, decorates the backend.
func newTestServer(t testing.TB, signed bool, wrap func(server.Backend) server.Backend) *testServer {
	t.Helper()
	db, err := index.Open(context.Background(), mem.New(), index.Options{Region: servertest.Region, Account: servertest.Account})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var be server.Backend = server.NewIndexBackend(db)
	if wrap != nil {
		be = wrap(be)
	}
	cfg := server.Config{Backend: be, Region: servertest.Region, AccountID: servertest.Account,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if signed {
		v, err := server.NewVerifier(map[string]string{testAccessKey: testSecret})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Auth = v
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &testServer{Server: hs, srv: srv, db: db}
}

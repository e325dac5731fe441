package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/api/server/servertest"
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

func TestSDKLifecycleSigned(t *testing.T) {
	ts := newTestServer(t, true, nil)
	servertest.Lifecycle(t, servertest.NewSDK(ts.URL, testAccessKey, testSecret), "media")
}

func TestSDKLifecycleOpen(t *testing.T) {
	ts := newTestServer(t, false, nil)
	servertest.Lifecycle(t, servertest.NewSDK(ts.URL, "", ""), "media")
}

// TestSDKPathPrefix serves the API under /s3v: the SDK's endpoint carries
// the prefix (signed paths included).
func TestSDKPathPrefix(t *testing.T) {
	db, err := index.Open(context.Background(), mem.New(), index.Options{Region: servertest.Region, Account: servertest.Account})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := server.NewVerifier(map[string]string{testAccessKey: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Backend: server.NewIndexBackend(db), PathPrefix: "/s3v/", Auth: v,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	servertest.Lifecycle(t, servertest.NewSDK(hs.URL+"/s3v", testAccessKey, testSecret), "prefixed")
	st, _, _ := call(t, http.MethodPost, hs.URL+"/ListVectorBuckets", strings.NewReader("{}"))
	if st != http.StatusNotFound {
		t.Fatalf("operation outside the prefix: %d", st)
	}
}

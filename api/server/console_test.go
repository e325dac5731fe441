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
	"github.com/vectorbucket/vectorbucket/index"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// TestConsoleRoutes: with Config.Console the page is served at /console/
// without authentication (its API calls are signed like any client's), and
// the API stays signed; without it /console/ is an unknown operation.
func TestConsoleRoutes(t *testing.T) {
	db, err := index.Open(context.Background(), mem.New(), index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	v, err := server.NewVerifier(map[string]string{"AKID": "secret"})
	if err != nil {
		t.Fatal(err)
	}
	for _, on := range []bool{true, false} {
		srv, err := server.New(server.Config{Backend: server.NewIndexBackend(db), Auth: v, Console: on, PathPrefix: "/s3v",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		fetch := func(method, path string) (*http.Response, string) {
			req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader("{}"))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp, string(b)
		}
		resp, body := fetch(http.MethodGet, "/console/")
		if on && (resp.StatusCode != http.StatusOK || !strings.Contains(body, "vectorbucket console")) {
			t.Errorf("console on: GET /console/ = %d\n%s", resp.StatusCode, body)
		}
		if !on && resp.StatusCode != http.StatusNotFound {
			t.Errorf("console off: GET /console/ = %d", resp.StatusCode)
		}
		if on {
			if resp, _ := fetch(http.MethodGet, "/console"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/console/" {
				t.Errorf("GET /console = %d → %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if _, body := fetch(http.MethodGet, "/console/config.json"); !strings.Contains(body, `"apiPrefix":"/s3v"`) || !strings.Contains(body, `"auth":true`) {
				t.Errorf("config.json = %s", body)
			}
		}
		if resp, body := fetch(http.MethodPost, "/s3v/ListVectorBuckets"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("console %v: unsigned API call = %d %s", on, resp.StatusCode, body)
		}
		hs.Close()
	}
}

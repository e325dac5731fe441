package console

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func TestHandlerServesPageAndConfig(t *testing.T) {
	h := Handler("/console/", Config{APIPrefix: "/s3v", Region: "eu-west-1", Auth: true, Version: "v1.2.3"})

	resp := get(t, h, http.MethodGet, "/console/")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `<script type="module" src="console.js">`) {
		t.Fatalf("GET /console/: %d\n%s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("X-Frame-Options = %q", resp.Header.Get("X-Frame-Options"))
	}
	for _, f := range []string{"console.js", "console.css"} {
		if resp := get(t, h, http.MethodGet, "/console/"+f); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /console/%s: %d", f, resp.StatusCode)
		}
	}

	resp = get(t, h, http.MethodGet, "/console/config.json")
	var cfg Config
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg != (Config{APIPrefix: "/s3v", Region: "eu-west-1", Auth: true, Version: "v1.2.3"}) {
		t.Errorf("config.json = %+v", cfg)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("config.json Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
}

func TestHandlerRefusesWritesAndUnknownFiles(t *testing.T) {
	h := Handler("/console/", Config{Region: "us-east-1"})
	if resp := get(t, h, http.MethodPost, "/console/"); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /console/: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if resp := get(t, h, http.MethodGet, "/console/nope.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /console/nope.js: %d", resp.StatusCode)
	}
	if resp := get(t, h, http.MethodGet, "/console/../console.go"); resp.StatusCode == http.StatusOK {
		t.Errorf("GET outside the static tree answered 200")
	}
}

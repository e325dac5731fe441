// Package console is the small web console `vectorbucket serve` offers at
// /console/: buckets, indexes, a query box that shows each query's receipt,
// and a recall/latency chart of one query across recall targets.
//
// The console is static HTML and JavaScript embedded in the binary. It
// calls the same S3 Vectors API as every other client, from the browser:
// when the server requires credentials, the user enters an access key and
// secret, which stay in the tab (sessionStorage) and sign each request with
// AWS Signature Version 4 in the page (WebCrypto, so the page must be
// served from localhost or over HTTPS for signing to work).
package console

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// Config is what the page needs to know about the server it talks to.
type Config struct {
	// APIPrefix is the path prefix of the API ("" or e.g. "/s3v").
	APIPrefix string `json:"apiPrefix"`
	// Region is the SigV4 region the server accepts.
	Region string `json:"region"`
	// Auth says whether API requests must be signed.
	Auth bool `json:"auth"`
	// Version is the server's version, shown in the page footer.
	Version string `json:"version,omitempty"`
}

// Handler serves the console under mount (e.g. "/console/"): the embedded
// files, and config.json describing the server.
func Handler(mount string, cfg Config) http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("console: " + err.Error()) // the embedded tree always has it
	}
	conf, _ := json.Marshal(cfg)
	files := http.StripPrefix(mount, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		// The page never embeds in other sites' frames and loads nothing
		// from elsewhere.
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		if strings.TrimPrefix(r.URL.Path, mount) == "config.json" {
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-store")
			_, _ = w.Write(conf)
			return
		}
		files.ServeHTTP(w, r)
	})
}

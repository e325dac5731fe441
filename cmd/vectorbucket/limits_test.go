package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeCutsSlowClients starts serve with 1 s header and request
// timeouts and checks that a client which stops in the middle of its
// headers, and one which stops in the middle of its body, lose their
// connections within a few seconds while the server keeps serving others.
func TestServeCutsSlowClients(t *testing.T) {
	p := startServe(t, t.TempDir(), false, "--read-header-timeout", "1s", "--read-timeout", "1s")
	addr := strings.TrimPrefix(p.endpoint, "http://")
	for name, partial := range map[string]string{
		"headers": "POST /ListVectorBuckets HTTP/1.1\r\nHost: x\r\nContent-Type: appl",
		"body":    "POST /ListVectorBuckets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"maxRes",
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := io.WriteString(conn, partial); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		// Whatever the server answers (nothing, or an error response), the
		// connection must end.
		_, err = io.Copy(io.Discard, bufio.NewReader(conn))
		took := time.Since(start)
		conn.Close()
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("%s: a client stalled in its %s still held its connection after %v", name, name, took)
		} else if took > 5*time.Second {
			t.Errorf("%s: connection cut after %v, want about 1s", name, took)
		} else {
			t.Logf("%s: stalled client cut after %v", name, took.Round(10*time.Millisecond))
		}
		resp, err := http.Get(p.endpoint + "/health")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("after a stalled %s: /health %v %v", name, resp, err)
		}
		resp.Body.Close()
	}
}

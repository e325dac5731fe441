package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/server/console"
)

// Authenticator verifies a request before it is served. body is the whole
// request body (already read, at most MaxBodyBytes). A non-nil error means
// AccessDeniedException; its text is logged, not sent.
type Authenticator interface {
	Authenticate(r *http.Request, body []byte) error
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request, body []byte) error

// Authenticate implements Authenticator.
func (f AuthenticatorFunc) Authenticate(r *http.Request, body []byte) error { return f(r, body) }

// Config configures a Server. Backend is required.
type Config struct {
	Backend Backend
	// Region and AccountID identify this endpoint: requests addressing a
	// resource by an ARN of another region or account are NotFound.
	// Defaults us-east-1 and 123456789012.
	Region, AccountID string
	// Auth, when set, must accept every API request (not /health or
	// /metrics); see sigv4.go.
	Auth Authenticator
	// Logger receives one line per failed request and every server-side
	// error; default slog.Default().
	Logger *slog.Logger
	// Registry receives the server's metrics; default a new registry
	// (see Server.Registry).
	Registry *prometheus.Registry
	// MaxBodyBytes caps request bodies; default api.MaxRequestBytes (20 MiB).
	MaxBodyBytes int64
	// QueryPageSize is the number of QueryVectors results per page; default
	// api.DefaultQueryPageSize (100).
	QueryPageSize int
	// Now is the clock (query page tokens); default time.Now.
	Now func() time.Time
	// PathPrefix, e.g. "/s3v", serves the API under a path prefix (for a
	// reverse proxy or an SDK endpoint like http://host/s3v); /health and
	// /metrics stay at the root. Default none.
	PathPrefix string
	// MaxInFlight bounds the API requests served at once; more are
	// answered at once with ServiceUnavailableException (503), which the
	// AWS SDKs retry with backoff. 0 means no bound.
	MaxInFlight int
	// MaxBodyBytesInFlight bounds the bytes of request bodies held at once
	// (reserved from Content-Length, or MaxBodyBytes when it is unknown,
	// before a body is read); beyond it requests get
	// ServiceUnavailableException (503) with Retry-After. 0 means no bound.
	MaxBodyBytesInFlight int64
	// MaxIndexWrites and MaxIndexQueries bound the PutVectors/DeleteVectors
	// and the QueryVectors calls in progress on one index; beyond them
	// requests get TooManyRequestsException (429) with Retry-After. 0 means
	// no bound.
	MaxIndexWrites, MaxIndexQueries int
	// Console serves the web console (package console) at /console/; its
	// API calls go through the same authentication as every client's.
	Console bool
	// Version is shown by the console.
	Version string
}

// Server is the HTTP handler of the S3 Vectors API. It is safe for
// concurrent use.
type Server struct {
	cfg     Config
	engine  *gin.Engine
	metrics *httpMetrics
	pages   *queryPages
	log     *slog.Logger
	bufs    sync.Pool     // *bodyBuf for request bodies
	bigBufs chan *bodyBuf // free list of big body buffers (getBuf)
	outs    sync.Pool     // *[]byte for response bodies
	vecs    sync.Pool     // *[]float32 for query vectors
	slots   chan struct{} // nil: no MaxInFlight
	bodies  *bodyBudget   // nil: no MaxBodyBytesInFlight
	admit   *admission    // nil: no per-index bounds
	// ops names the operation of every API route, so that the hot path
	// needs no per-request gin context keys (a map allocation each).
	ops map[route]string
}

// route is a gin route: method and full path pattern.
type route struct{ method, path string }

// DefaultAccountID is the account in ARNs when none is configured.
const DefaultAccountID = "123456789012"

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Backend == nil {
		return nil, errors.New("server: Config.Backend is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = api.MaxRequestBytes
	}
	if cfg.QueryPageSize <= 0 {
		cfg.QueryPageSize = api.DefaultQueryPageSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PathPrefix = strings.TrimSuffix(cfg.PathPrefix, "/")
	if cfg.PathPrefix != "" && (!strings.HasPrefix(cfg.PathPrefix, "/") || strings.ContainsAny(cfg.PathPrefix, "*:?#%")) {
		return nil, fmt.Errorf("server: PathPrefix %q must start with / and be a plain path", cfg.PathPrefix)
	}
	m, err := newHTTPMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	if ms, ok := cfg.Backend.(metricsSource); ok {
		for _, c := range ms.collectors() {
			if err := cfg.Registry.Register(c); err != nil {
				return nil, fmt.Errorf("server: register backend metrics: %w", err)
			}
		}
	}
	s := &Server{cfg: cfg, metrics: m, log: cfg.Logger, pages: newQueryPages(cfg.Now), bigBufs: make(chan *bodyBuf, bigBodySlots)}
	if cfg.MaxBodyBytesInFlight > 0 {
		s.bodies = &bodyBudget{limit: cfg.MaxBodyBytesInFlight}
	}
	if cfg.MaxIndexWrites > 0 || cfg.MaxIndexQueries > 0 {
		s.admit = &admission{maxWrites: int32(cfg.MaxIndexWrites), maxQueries: int32(cfg.MaxIndexQueries)}
	}
	if cfg.MaxInFlight > 0 {
		s.slots = make(chan struct{}, cfg.MaxInFlight)
	}
	s.engine = s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Registry returns the Prometheus registry the server's metrics live in;
// callers may register more collectors (store, cache, indexer) on it.
func (s *Server) Registry() *prometheus.Registry { return s.cfg.Registry }

// MetricsHandler serves the registry in the Prometheus text format (it is
// also mounted at GET /metrics).
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{Registry: s.cfg.Registry})
}

// opHandler serves one operation: it gets the already read body and
// returns the response value (encoded as JSON) or an error.
type opHandler func(ctx context.Context, c *gin.Context, body []byte) (any, error)

// Keys of per-request state in the gin context.
const (
	keyOp   = "vb.op"
	keyCode = "vb.code"
)

func init() { gin.SetMode(gin.ReleaseMode) }

func (s *Server) routes() *gin.Engine {
	e := gin.New()
	// Route on the escaped path so that %2F inside a tagged ARN stays in
	// one segment, and hand the catch-all value over still escaped.
	e.UseRawPath = true
	e.UnescapePathValues = false
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = false
	e.ContextWithFallback = true
	e.Use(s.observe, s.recoverPanic)

	ops := map[string]opHandler{
		api.OpCreateVectorBucket:              s.createVectorBucket,
		api.OpGetVectorBucket:                 s.getVectorBucket,
		api.OpListVectorBuckets:               s.listVectorBuckets,
		api.OpDeleteVectorBucket:              s.deleteVectorBucket,
		api.OpPutVectorBucketPolicy:           s.putVectorBucketPolicy,
		api.OpGetVectorBucketPolicy:           s.getVectorBucketPolicy,
		api.OpDeleteVectorBucketPolicy:        s.deleteVectorBucketPolicy,
		api.OpPutVectorBucketDefaultIndexMode: s.putVectorBucketDefaultIndexMode,
		api.OpCreateIndex:                     s.createIndex,
		api.OpGetIndex:                        s.getIndex,
		api.OpListIndexes:                     s.listIndexes,
		api.OpDeleteIndex:                     s.deleteIndex,
		api.OpUpdateIndexMode:                 s.updateIndexMode,
		api.OpPutVectors:                      s.putVectors,
		api.OpGetVectors:                      s.getVectors,
		api.OpListVectors:                     s.listVectors,
		api.OpDeleteVectors:                   s.deleteVectors,
		api.OpQueryVectors:                    s.queryVectors,
	}
	g := e.Group(s.cfg.PathPrefix)
	s.ops = map[route]string{}
	add := func(method, path, op string, h opHandler) {
		g.Handle(method, path, s.serve(op, h))
		s.ops[route{method, s.cfg.PathPrefix + path}] = op
	}
	for _, op := range api.BodyOperations {
		h, ok := ops[op]
		if !ok {
			panic("server: no handler for " + op)
		}
		add(http.MethodPost, "/"+op, op, h)
	}
	snapshots := s.snapshotOps() // vectorbucket extensions (handlers_snapshots.go)
	for _, op := range api.SnapshotOperations {
		add(http.MethodPost, "/"+op, op, snapshots[op])
	}
	add(http.MethodGet, "/tags/*arn", api.OpListTagsForResource, s.listTagsForResource)
	add(http.MethodPost, "/tags/*arn", api.OpTagResource, s.tagResource)
	add(http.MethodDelete, "/tags/*arn", api.OpUntagResource, s.untagResource)
	e.GET("/health", func(c *gin.Context) {
		c.Set(keyOp, "Health")
		c.Header("Content-Type", "application/json")
		c.String(http.StatusOK, `{"status":"ok"}`)
	})
	e.GET("/metrics", func(c *gin.Context) {
		c.Set(keyOp, "Metrics")
		s.MetricsHandler().ServeHTTP(c.Writer, c.Request)
	})
	if s.cfg.Console {
		h := console.Handler("/console/", console.Config{APIPrefix: s.cfg.PathPrefix, Region: s.cfg.Region, Auth: s.cfg.Auth != nil, Version: s.cfg.Version})
		e.GET("/console", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/console/") })
		e.GET("/console/*file", func(c *gin.Context) {
			c.Set(keyOp, "Console")
			h.ServeHTTP(c.Writer, c.Request)
		})
	}
	e.NoRoute(func(c *gin.Context) {
		c.Set(keyOp, "unknown")
		s.fail(c, &api.Error{Code: "UnknownOperationException", Status: http.StatusNotFound,
			Message: fmt.Sprintf("no operation at %s %s", c.Request.Method, c.Request.URL.EscapedPath())})
	})
	return e
}

// requestID is a request id header value in one allocation: 16 random
// bytes in hex and the one-element slice http.Header holds.
type requestID struct {
	hex [32]byte
	val [1]string
}

// newRequestID returns the header value of a fresh request id.
func newRequestID() []string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := new(requestID)
	hex.Encode(id.hex[:], b[:])
	id.val[0] = unsafe.String(&id.hex[0], len(id.hex))
	return id.val[:]
}

// Header values shared by every response (net/http never modifies them).
var (
	jsonContentType = []string{"application/json"}
	// requestIDKey is api.HeaderRequestID in canonical form.
	requestIDKey = http.CanonicalHeaderKey(api.HeaderRequestID)
)

// opOf names the operation c is serving ("unknown" for none).
func (s *Server) opOf(c *gin.Context) string {
	if op, ok := s.ops[route{c.Request.Method, c.FullPath()}]; ok {
		return op
	}
	if op := c.GetString(keyOp); op != "" {
		return op
	}
	return "unknown"
}

// observe sets the request id and records the request's metrics.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Writer.Header()[requestIDKey] = newRequestID()
	s.metrics.inflight.Inc()
	c.Next()
	s.metrics.inflight.Dec()
	op := s.opOf(c)
	d := time.Since(start)
	s.metrics.observe(op, c.Writer.Status(), c.GetString(keyCode), d)
	if s.log.Enabled(c.Request.Context(), slog.LevelDebug) {
		s.log.Debug("request", "op", op, "method", c.Request.Method, "path", c.Request.URL.EscapedPath(), "status", c.Writer.Status(),
			"code", c.GetString(keyCode), "duration", d, "bytesIn", c.Request.ContentLength, "bytesOut", c.Writer.Size(),
			"remote", c.Request.RemoteAddr, "requestId", c.Writer.Header().Get(api.HeaderRequestID))
	}
}

// recoverPanic turns a panic in a handler into InternalServerException.
func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic serving request", "op", s.opOf(c), "panic", p, "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				s.fail(c, api.Internal())
			}
			c.Abort()
		}
	}()
	c.Next()
}

// serve wraps an operation: authentication, the body cap, the handler, and
// the JSON or error response.
func (s *Server) serve(op string, h opHandler) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if s.cfg.Auth != nil && r.Header.Get("Authorization") == "" && r.URL.Query().Get("X-Amz-Signature") == "" {
			s.fail(c, api.AccessDenied("request is not signed; this server requires AWS Signature Version 4 for service s3vectors"))
			return
		}
		if s.slots != nil {
			select {
			case s.slots <- struct{}{}:
				defer func() { <-s.slots }()
			default:
				s.fail(c, api.ServiceUnavailable())
				return
			}
		}
		if s.bodies != nil && r.Body != nil && r.Body != http.NoBody {
			n := r.ContentLength
			if n < 0 || n > s.cfg.MaxBodyBytes {
				n = s.cfg.MaxBodyBytes
			}
			if !s.bodies.reserve(n) {
				e := api.ServiceUnavailable()
				e.RetryAfter = retryAfter
				s.fail(c, e)
				return
			}
			defer s.bodies.release(n)
		}
		buf := s.getBuf(r.ContentLength)
		defer s.putBuf(buf)
		body, err := s.readBody(r, buf)
		if err != nil {
			s.fail(c, err)
			return
		}
		if s.cfg.Auth != nil {
			if err := s.cfg.Auth.Authenticate(r, body); err != nil {
				s.log.Info("access denied", "op", op, "remote", r.RemoteAddr, "reason", err.Error())
				var ae *api.Error
				if !errors.As(err, &ae) || ae.Code != api.CodeAccessDenied {
					ae = api.AccessDenied("the request is not signed with valid credentials for this server")
				}
				s.fail(c, ae)
				return
			}
		}
		// JSON decoders turn invalid UTF-8 into U+FFFD silently; a key or
		// name that is not UTF-8 must be refused, not rewritten.
		if !utf8.Valid(body) {
			s.fail(c, api.Invalid("body", "the request body is not valid UTF-8"))
			return
		}
		out, err := h(r.Context(), c, body)
		if err != nil {
			s.fail(c, err)
			return
		}
		s.reply(c, out)
	}
}

// bodyBuf is a pooled request body buffer and its limiting reader.
type bodyBuf struct {
	bytes.Buffer
	lr io.LimitedReader
}

// Request body buffers of at least bigBody bytes (PutVectors batches) are
// kept in a small free list that survives garbage collections, unlike a
// sync.Pool: during an ingest every collection would otherwise drop them,
// and each batch would pay for a fresh zeroed multi-megabyte buffer.
const (
	bigBody      = 256 << 10
	bigBodySlots = 8
)

// getBuf returns an empty body buffer for a body of n bytes (-1: unknown).
func (s *Server) getBuf(n int64) *bodyBuf {
	if n >= bigBody {
		select {
		case b := <-s.bigBufs:
			b.Reset()
			return b
		default:
		}
	}
	if b, ok := s.bufs.Get().(*bodyBuf); ok {
		b.Reset()
		return b
	}
	return new(bodyBuf)
}

// putBuf returns b for reuse.
func (s *Server) putBuf(b *bodyBuf) {
	if c := b.Cap(); c >= bigBody {
		if c <= int(s.cfg.MaxBodyBytes)+1 {
			select {
			case s.bigBufs <- b:
			default:
			}
		}
		return
	}
	s.bufs.Put(b)
}

// readBody reads the whole body into buf, refusing more than MaxBodyBytes.
func (s *Server) readBody(r *http.Request, buf *bodyBuf) ([]byte, error) {
	max := s.cfg.MaxBodyBytes
	tooBig := func() error { return api.Invalid("body", "request body exceeds the %d-byte limit", max) }
	if r.ContentLength > max {
		return nil, tooBig()
	}
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + 1)
	}
	buf.lr = io.LimitedReader{R: r.Body, N: max + 1}
	n, err := buf.ReadFrom(&buf.lr)
	buf.lr.R = nil
	if n > max {
		return nil, tooBig()
	}
	if err != nil {
		return nil, api.Invalid("body", "reading the request body failed: %v", err)
	}
	return buf.Bytes(), nil
}

// maxPooledResponse is the largest response buffer kept for reuse.
const maxPooledResponse = 1 << 20

// reply writes a 200 JSON response, encoded into a pooled buffer.
func (s *Server) reply(c *gin.Context, out any) {
	bp, _ := s.outs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	body, err := api.AppendResponse((*bp)[:0], out)
	defer func() {
		if cap(body) <= maxPooledResponse {
			*bp = body[:0]
			s.outs.Put(bp)
		}
	}()
	if err != nil {
		s.log.Error("encode response", "op", s.opOf(c), "err", err)
		s.fail(c, api.Internal())
		return
	}
	h := c.Writer.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(body)
}

// fail writes err as an S3 Vectors error response.
func (s *Server) fail(c *gin.Context, err error) {
	ae, internal := toAPIError(err)
	if internal {
		s.log.Error("request failed", "op", s.opOf(c), "code", ae.Code, "err", err,
			"requestId", c.Writer.Header().Get(api.HeaderRequestID))
	} else {
		s.log.Debug("request rejected", "op", s.opOf(c), "code", ae.Code, "message", ae.Message)
	}
	c.Set(keyCode, ae.Code)
	api.WriteError(c.Writer, ae)
	c.Abort()
}

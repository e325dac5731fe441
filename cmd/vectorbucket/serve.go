package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/vectorbucket/vectorbucket/api/server"
	"github.com/vectorbucket/vectorbucket/cmd/internal/cli"
	"github.com/vectorbucket/vectorbucket/index"
)

// serveConfig is everything `vectorbucket serve` is configured with.
type serveConfig struct {
	addr            string
	store           storeConfig
	region, account string
	cacheBytes      byteSize
	credentialsFile string
	console         bool
	logFormat       string
	logLevel        string
	shutdownTimeout time.Duration
	maxInFlight     int
	pathPrefix      string
	limits          serveLimits
	gcInterval      time.Duration
	gcGrace         time.Duration
	readLease       time.Duration
	memoryBudget    byteSize
	memory          memoryPlan
}

// serveLimits are the bounds that keep slow clients and floods from
// exhausting the server (see api/server/admission.go).
type serveLimits struct {
	bodyBytes                 byteSize
	indexWrites, indexQueries int
	readTimeout, writeTimeout time.Duration
	readHeaderTimeout, idle   time.Duration
}

const serveHelp = `Runs the Amazon S3 Vectors API (POST /<Operation>, /tags/{arn}) with
GET /health and GET /metrics (Prometheus).

Storage: by default an embedded store in --data (a directory, created if
missing; a comma-separated list of directories makes a multi-volume store).
--store s3://bucket/prefix keeps everything in an S3-compatible object store
instead (AWS S3, MinIO, Ceph RGW, versitygw); its credentials come from
--s3-access-key/--s3-secret-key or the AWS default chain (AWS_ACCESS_KEY_ID,
~/.aws/credentials, instance roles). Several servers may share one S3 store.

Authentication: set VECTORBUCKET_ACCESS_KEY_ID and
VECTORBUCKET_SECRET_ACCESS_KEY, or --credentials-file (one "ACCESS_KEY SECRET"
per line, or the AWS shared-credentials format) for several users; then every
request must carry a valid AWS Signature V4 for service s3vectors. Without
credentials the server only listens on a loopback address.

SIGINT or SIGTERM stops it gracefully: in-flight requests finish, indexes
close.`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := serveConfig{memoryBudget: 2 << 30, limits: serveLimits{bodyBytes: 512 << 20}}
	fs := newFlags("serve", "serve [flags]", serveHelp, stdout, stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port)")
	cfg.store.flags(fs)
	fs.StringVar(&cfg.region, "region", "us-east-1", "region in ARNs and the SigV4 credential scope")
	fs.StringVar(&cfg.account, "account-id", server.DefaultAccountID, "12-digit account id in ARNs")
	fs.Var(&cfg.memoryBudget, "memory-budget", "memory the server plans for: half for decoded neighborhood and WAL objects (and what queries derive from them), an eighth for raw objects read from the store, the rest working memory; sets the Go runtime's soft memory limit unless GOMEMLIMIT is set (0: no budget, caches as sized)")
	fs.Var(&cfg.cacheBytes, "cache-bytes", "memory for decoded neighborhood and WAL objects, out of --memory-budget (default: half of the budget; 1GiB without one)")
	fs.StringVar(&cfg.credentialsFile, "credentials-file", "", "file of access keys and secrets (several users); see above")
	fs.StringVar(&cfg.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "log level: debug (one line per request), info, warn or error")
	fs.StringVar(&cfg.pathPrefix, "path-prefix", "", "serve the API under this path (e.g. /s3v, for an endpoint http://host/s3v)")
	fs.IntVar(&cfg.maxInFlight, "max-inflight", 512, "API requests served at once; more get ServiceUnavailable (503), which SDKs retry (0: no bound)")
	fs.Var(&cfg.limits.bodyBytes, "max-body-inflight", "request body bytes held at once; beyond it requests get ServiceUnavailable (503) with Retry-After (0: no bound)")
	fs.IntVar(&cfg.limits.indexWrites, "max-index-writes", 32, "PutVectors/DeleteVectors in progress per index; more get TooManyRequests (429) with Retry-After (0: no bound)")
	fs.IntVar(&cfg.limits.indexQueries, "max-index-queries", 256, "QueryVectors in progress per index; more get TooManyRequests (429) with Retry-After (0: no bound)")
	fs.DurationVar(&cfg.limits.readHeaderTimeout, "read-header-timeout", 30*time.Second, "time a client has to send request headers")
	fs.DurationVar(&cfg.limits.readTimeout, "read-timeout", 2*time.Minute, "time a client has to send a whole request, body included (slow uploads are cut)")
	fs.DurationVar(&cfg.limits.writeTimeout, "write-timeout", 5*time.Minute, "time from the end of the request headers to the end of the response")
	fs.DurationVar(&cfg.limits.idle, "idle-timeout", 2*time.Minute, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long a graceful shutdown waits for in-flight requests")
	fs.DurationVar(&cfg.gcInterval, "gc-interval", time.Minute, "how often each open index deletes the objects and manifests no kept manifest needs")
	fs.DurationVar(&cfg.gcGrace, "gc-grace", time.Minute, "how old an unreferenced object must be before GC deletes it; must exceed the slowest store request plus clock skew between servers sharing the store")
	fs.BoolVar(&cfg.console, "console", true, "serve the web console at /console/ (buckets, indexes, queries with receipts, a recall/latency chart)")
	fs.DurationVar(&cfg.readLease, "read-lease", 0, "queries, GetVectors and ListVectors may skip the per-request manifest check for this long after the last one (e.g. 2s): faster on S3, but writes made through other servers sharing the store may be invisible here for that long; at most half of --gc-grace (0: every read strongly consistent)")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	set := setFlags(fs)
	plan, err := planMemory(int64(cfg.memoryBudget), int64(cfg.cacheBytes), int64(cfg.store.cacheBytes),
		set["cache-bytes"], set["store-cache-bytes"], os.Getenv)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	cfg.memory = plan
	cfg.cacheBytes, cfg.store.cacheBytes = byteSize(cfg.memory.decoded), byteSize(cfg.memory.store)
	if cfg.gcInterval <= 0 || cfg.gcGrace <= 0 {
		return fmt.Errorf("serve: --gc-interval and --gc-grace must be positive")
	}
	log, err := newLogger(stderr, cfg.logFormat, cfg.logLevel)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log)
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// credentials loads the users allowed to call the server (nil: none).
func (cfg *serveConfig) credentials() (map[string]string, error) {
	users, err := server.CredentialsFromEnv()
	if err != nil {
		return nil, err
	}
	if cfg.credentialsFile != "" {
		more, err := server.LoadCredentials(cfg.credentialsFile)
		if err != nil {
			return nil, err
		}
		if users == nil {
			users = map[string]string{}
		}
		for k, v := range more {
			users[k] = v
		}
	}
	return users, nil
}

// isLoopback reports whether addr (host:port) binds only loopback.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serve wires store → index → server and runs until ctx is done.
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger) error {
	users, err := cfg.credentials()
	if err != nil {
		return err
	}
	if users == nil && !isLoopback(cfg.addr) {
		return fmt.Errorf("refusing to listen on %s without credentials: anyone who can reach it could read and delete every vector. "+
			"Set %s and %s (or --credentials-file) to require AWS SigV4, or listen on a loopback address such as 127.0.0.1:8080",
			cfg.addr, server.EnvAccessKeyID, server.EnvSecretAccessKey)
	}
	if users == nil {
		log.Warn("AUTHENTICATION IS OFF: no credentials are set, so every process on this machine can read, "+
			"write and delete every vector; that is why the server listens on loopback only. "+
			"Set "+server.EnvAccessKeyID+" and "+server.EnvSecretAccessKey+" (or --credentials-file) to require AWS SigV4.",
			"addr", cfg.addr)
	}
	cfg.memory.apply(log)
	st, err := cfg.store.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.close(log)

	db, err := index.Open(ctx, st.store, index.Options{Region: cfg.region, Account: cfg.account, CacheBytes: int64(cfg.cacheBytes), ReadLease: cfg.readLease,
		Indexer: index.IndexerOptions{GCInterval: cfg.gcInterval, GCGrace: cfg.gcGrace}})
	if err != nil {
		return fmt.Errorf("open index catalog: %w", err)
	}
	scfg := server.Config{Backend: server.NewIndexBackend(db), Region: cfg.region, AccountID: cfg.account, Logger: log, MaxInFlight: cfg.maxInFlight, PathPrefix: cfg.pathPrefix,
		MaxBodyBytesInFlight: int64(cfg.limits.bodyBytes), MaxIndexWrites: cfg.limits.indexWrites, MaxIndexQueries: cfg.limits.indexQueries,
		Console: cfg.console, Version: cli.Version()}
	if users != nil {
		v, err := server.NewVerifier(users)
		if err != nil {
			return err
		}
		v.Region = cfg.region
		scfg.Auth = v
	}
	srv, err := server.New(scfg)
	if err != nil {
		_ = db.Close()
		return err
	}
	if err := errors.Join(registerStoreMetrics(srv.Registry(), st), registerVolumeMetrics(srv.Registry(), st),
		registerMemoryMetrics(srv.Registry(), cfg.memory, db)); err != nil {
		_ = db.Close()
		return err
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		_ = db.Close()
		return fmt.Errorf("listen: %w", err)
	}
	scrubCtx, stopScrub := context.WithCancel(context.Background())
	scrubDone := make(chan struct{})
	go func() { defer close(scrubDone); st.scrub(scrubCtx, &cfg.store, log) }()
	defer func() { stopScrub(); <-scrubDone }()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: cfg.limits.readHeaderTimeout, ReadTimeout: cfg.limits.readTimeout,
		WriteTimeout: cfg.limits.writeTimeout, IdleTimeout: cfg.limits.idle, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("vectorbucket serving", "addr", ln.Addr().String(), "store", st.describe, "region", cfg.region,
		"account", cfg.account, "auth", users != nil, "users", len(users))
	if cfg.console {
		log.Info("web console at http://" + ln.Addr().String() + "/console/")
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()

	select {
	case err = <-done:
		log.Error("server stopped", "err", err)
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.shutdownTimeout)
		sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
		err = hs.Shutdown(sctx)
		cancel()
		if err != nil {
			log.Warn("graceful shutdown incomplete", "err", err)
		}
		<-done
		err = nil
	}
	if cerr := db.Close(); cerr != nil {
		log.Warn("close indexes", "err", cerr)
	}
	log.Info("stopped")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

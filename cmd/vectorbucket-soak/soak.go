package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
)

const bucketName, indexName = "soak", "soak"

// soak runs the whole soak and returns its summary; an error means the soak
// could not run (the server would not start, the load failed), problems it
// found are in summary.Failures.
func soak(ctx context.Context, cfg config, stdout io.Writer) (*summary, error) {
	sum := &summary{Config: cfg.public(), Started: time.Now().UTC()}
	vols := make([]string, 3)
	for v := range vols {
		vols[v] = filepath.Join(cfg.work, fmt.Sprintf("vol%d", v))
		if err := os.MkdirAll(vols[v], 0o755); err != nil {
			return sum, err
		}
	}
	logPath := filepath.Join(cfg.work, "server.log")
	fmt.Fprintf(stdout, "soak: %d writers, %d queriers, %d keys × %d dims, %v; volumes and server log in %s\n",
		cfg.writers, cfg.queriers, cfg.keys, cfg.dim, cfg.duration, cfg.work)
	srv, err := startServer(ctx, cfg.server, vols, logPath, cfg.memoryBudget())
	if err != nil {
		return sum, err
	}
	defer func() {
		if srv != nil {
			srv.Kill()
		}
	}()
	c, err := client.New(client.Options{Endpoint: srv.Endpoint, MaxAttempts: 6})
	if err != nil {
		return sum, err
	}
	w := &workload{cfg: cfg, c: c, ref: api.IndexRef{VectorBucketName: bucketName, IndexName: indexName}, g: newGen(cfg.dim, cfg.seed),
		m: &model{state: make([]keyState, cfg.keys), maybe: map[int][]keyState{}}, rec: newRecorder(), seq: make([]int64, cfg.writers)}
	if err := load(ctx, w, stdout); err != nil {
		return sum, err
	}
	if err := settle(ctx, w, srv.Endpoint); err != nil {
		return sum, err
	}
	sum.RecallBefore = recall(ctx, w, cfg.recallQ, cfg.seed)
	fmt.Fprintf(stdout, "recall@10 after the load: %.4f over %d queries\n", sum.RecallBefore, cfg.recallQ)

	// The mixed phase.
	wctx, stopWork := context.WithTimeout(ctx, cfg.duration)
	defer stopWork()
	var wg sync.WaitGroup
	for i := range cfg.writers {
		wg.Go(func() { w.writer(ctx, wctx, i) })
	}
	for i := range cfg.queriers {
		wg.Go(func() { w.querier(ctx, wctx, i) })
	}
	start := time.Now()
	removeAt, restoreAt := cfg.duration/3, 2*cfg.duration/3
	removed, restored := false, false
	tick := time.NewTicker(cfg.sample)
	defer tick.Stop()
	printSampleHeader(stdout)
	last := start
	for wctx.Err() == nil {
		var now time.Time
		select {
		case <-wctx.Done():
			now = time.Now()
		case now = <-tick.C:
		}
		el := now.Sub(start)
		if !removed && el >= removeAt {
			removed = true
			if err := removeVolume(vols[2]); err != nil {
				sum.fail("removing volume 2: %v", err)
			}
			sum.Events = append(sum.Events, event{At: el.Seconds(), What: "volume 2 removed"})
			fmt.Fprintf(stdout, "%8.0fs  volume 2 removed (its directory deleted while the server runs)\n", el.Seconds())
		}
		if removed && !restored && el >= restoreAt {
			restored = true
			if err := os.Mkdir(vols[2], 0o755); err != nil {
				sum.fail("restoring volume 2: %v", err)
			}
			sum.Events = append(sum.Events, event{At: el.Seconds(), What: "volume 2 restored empty"})
			fmt.Fprintf(stdout, "%8.0fs  volume 2 restored, empty; scrub must refill it\n", el.Seconds())
		}
		s := takeSample(w.rec, srv, vols, el, now.Sub(last))
		last = now
		sum.Samples = append(sum.Samples, s)
		s.print(stdout)
		if done, err := srv.Exited(); done {
			sum.fail("the server exited during the soak: %v (see %s)", err, logPath)
			break
		}
	}
	stopWork()
	wg.Wait()
	sum.Ops, sum.Errors, sum.FirstErrors = w.rec.totalOps, w.rec.totalErrs, w.rec.firstErrs
	if sum.Errors > 0 {
		sum.fail("%d of %d operations failed; first: %s", sum.Errors, sum.Ops, w.rec.firstErrs[0])
	}
	sum.Uncertain = len(w.m.maybe)
	if done, _ := srv.Exited(); done {
		return sum, nil
	}

	// Audit, recall, restart, audit again, scrub.
	if err := settle(ctx, w, srv.Endpoint); err != nil {
		sum.fail("after the workload: %v", err)
	}
	sum.Audit = audit(ctx, w, sum)
	fmt.Fprintf(stdout, "audit: %s\n", sum.Audit)
	sum.RecallAfter = recall(ctx, w, cfg.recallQ, cfg.seed)
	fmt.Fprintf(stdout, "recall@10 after the soak: %.4f (after the load: %.4f)\n", sum.RecallAfter, sum.RecallBefore)
	if sum.RecallAfter < sum.RecallBefore-0.02 {
		sum.fail("recall fell from %.4f to %.4f", sum.RecallBefore, sum.RecallAfter)
	}
	sum.RSSPeak = srvPeak(srv)
	sum.MemoryBudget = int64(cfg.budgetMiB) << 20
	if err := srv.Stop(); err != nil {
		sum.fail("stopping the server: %v", err)
	}
	srv = nil
	srv, err = startServer(ctx, cfg.server, vols, logPath, cfg.memoryBudget())
	if err != nil {
		sum.fail("restarting the server: %v", err)
		return sum, nil
	}
	if w.c, err = client.New(client.Options{Endpoint: srv.Endpoint, MaxAttempts: 6}); err != nil {
		return sum, err
	}
	sum.AuditRestart = audit(ctx, w, sum)
	fmt.Fprintf(stdout, "audit after a restart: %s\n", sum.AuditRestart)
	if err := srv.Stop(); err != nil {
		sum.fail("stopping the restarted server: %v", err)
	}
	srv = nil
	// The first offline pass repairs what the server's last scrub left;
	// the second must find every object on all three volumes.
	for pass := 1; pass <= 2; pass++ {
		rep, err := offlineScrub(ctx, cfg.server, vols)
		if err != nil {
			sum.fail("offline scrub %d: %v", pass, err)
			break
		}
		fmt.Fprintf(stdout, "offline scrub %d: %d objects, %d copies, %d missing, %d stale, %d corrupt, %d repaired, %d unrepairable, %d tombstones removed, detached volumes %v\n",
			pass, rep.Objects, rep.Copies, rep.Missing, rep.Stale, rep.Corrupt, rep.Repaired, rep.Unrepairable, rep.Tombstones, rep.Detached)
		sum.Scrub = append(sum.Scrub, rep)
		if pass == 2 && (rep.Missing+rep.Stale+rep.Corrupt+rep.Repaired+rep.Unrepairable > 0 || len(rep.Detached) > 0) {
			sum.fail("not fully redundant after the soak: %+v", rep)
		}
	}
	sum.Finished = time.Now().UTC()
	return sum, nil
}

func srvPeak(s *server) int64 { _, peak := s.RSS(); return peak }

// removeVolume deletes a volume directory at once, as a failed disk
// vanishes, even while the server creates files in it.
func removeVolume(dir string) error {
	gone := dir + ".gone"
	if err := os.Rename(dir, gone); err != nil {
		return err
	}
	return os.RemoveAll(gone)
}

// load puts every key once (sequence number 0), four requests at a time.
func load(ctx context.Context, w *workload, stdout io.Writer) error {
	if _, err := w.c.CreateVectorBucket(ctx, &api.CreateVectorBucketRequest{VectorBucketName: bucketName}); err != nil {
		return err
	}
	if _, err := w.c.CreateIndex(ctx, &api.CreateIndexRequest{BucketRef: api.BucketRef{VectorBucketName: bucketName}, IndexName: indexName,
		DataType: api.DataTypeFloat32, Dimension: w.cfg.dim, DistanceMetric: api.Cosine}); err != nil {
		return err
	}
	start := time.Now()
	vecs := make([]api.PutInputVector, w.cfg.keys)
	for i := range vecs {
		vecs[i] = api.PutInputVector{Key: keyName(i), Data: api.Float32Vector(w.g.vector(i, 0)), Metadata: api.Metadata{"seq": "0", "writer": int64(i % w.cfg.writers)}}
	}
	if err := w.c.PutVectorsBulk(ctx, bucketName, indexName, vecs, 4); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	for i := range w.m.state {
		w.m.state[i] = keyState{present: true}
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "loaded %d vectors in %v (%.0f vectors/s)\n", w.cfg.keys, el.Round(time.Millisecond), float64(w.cfg.keys)/el.Seconds())
	return nil
}

// settle waits until the index's write-ahead log is folded (the backlog
// gauge, updated by each query, reads 0), for at most three minutes.
func settle(ctx context.Context, w *workload, endpoint string) error {
	deadline := time.Now().Add(3 * time.Minute)
	rng := rand.New(rand.NewPCG(1, 1))
	for {
		if _, err := w.c.QueryVectors(ctx, &api.QueryVectorsRequest{IndexRef: w.ref, TopK: 1, QueryVector: api.Float32Vector(w.g.query(rng))}); err != nil {
			return fmt.Errorf("settle: %w", err)
		}
		n, err := backlog(ctx, endpoint)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the indexer left %d vectors unfolded for 3 minutes", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// backlog scrapes the server's vectorbucket_indexer_backlog_vectors.
func backlog(ctx context.Context, endpoint string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "vectorbucket_indexer_backlog_vectors{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics: %q: %w", line, err)
		}
		return int64(v), nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("metrics: no vectorbucket_indexer_backlog_vectors")
}

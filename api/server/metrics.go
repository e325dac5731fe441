package server

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vectorbucket/vectorbucket/index"
)

// httpMetrics are the request metrics of a Server.
type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	inflight prometheus.Gauge

	// series caches the children of requests and latency per operation
	// and status: WithLabelValues costs a label hash and allocations on
	// every request otherwise.
	mu     sync.RWMutex
	series map[opStatus]opSeries
}

type opStatus struct {
	op     string
	status int
}

type opSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vectorbucket_http_requests_total",
			Help: "HTTP requests served, by S3 Vectors operation and status code.",
		}, []string{"operation", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vectorbucket_http_request_duration_seconds",
			Help:    "Time to serve a request, by S3 Vectors operation and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation", "status"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vectorbucket_http_errors_total",
			Help: "Error responses, by S3 Vectors operation and error code.",
		}, []string{"operation", "code"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vectorbucket_http_requests_in_flight",
			Help: "Requests being served.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.errors, m.inflight} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *httpMetrics) observe(op string, status int, code string, d time.Duration) {
	k := opStatus{op, status}
	m.mu.RLock()
	ser, ok := m.series[k]
	m.mu.RUnlock()
	if !ok {
		st := strconv.Itoa(status)
		ser = opSeries{requests: m.requests.WithLabelValues(op, st), latency: m.latency.WithLabelValues(op, st)}
		m.mu.Lock()
		if m.series == nil {
			m.series = map[opStatus]opSeries{}
		}
		m.series[k] = ser
		m.mu.Unlock()
	}
	ser.requests.Inc()
	ser.latency.Observe(d.Seconds())
	if code != "" {
		m.errors.WithLabelValues(op, code).Inc()
	}
}

// metricsSource is implemented by backends that export metrics of their
// own; a Server registers them on its registry.
type metricsSource interface {
	collectors() []prometheus.Collector
}

// queryMetrics describe what queries did inside the index.
type queryMetrics struct {
	scored, probed prometheus.Counter
	objects, bytes *prometheus.CounterVec
	backlog        *prometheus.GaugeVec

	// The children of objects and bytes, resolved once.
	objStore, objCache, bytesStore, bytesCache prometheus.Counter
}

func newQueryMetrics() *queryMetrics {
	m := &queryMetrics{
		scored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vectorbucket_query_vectors_scored_total",
			Help: "Distance computations made by queries (neighborhoods and write-ahead log).",
		}),
		probed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vectorbucket_query_neighborhoods_probed_total",
			Help: "Neighborhoods scanned by queries.",
		}),
		objects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vectorbucket_query_objects_read_total",
			Help: "Objects queries read, by source (store or cache).",
		}, []string{"source"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vectorbucket_query_bytes_read_total",
			Help: "Bytes of objects queries read, by source (store or cache).",
		}, []string{"source"}),
		backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vectorbucket_indexer_backlog_vectors",
			Help: "Vectors in an index's write-ahead log not yet folded into neighborhoods, as of its last query.",
		}, []string{"bucket", "index"}),
	}
	m.objStore, m.objCache = m.objects.WithLabelValues("store"), m.objects.WithLabelValues("cache")
	m.bytesStore, m.bytesCache = m.bytes.WithLabelValues("store"), m.bytes.WithLabelValues("cache")
	return m
}

func (m *queryMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.scored, m.probed, m.objects, m.bytes, m.backlog}
}

// observe records one query's stats; backlog is the index's backlog gauge
// (see backlogOf).
func (m *queryMetrics) observe(backlog prometheus.Gauge, st *index.QueryStats) {
	m.scored.Add(float64(st.VectorsScored))
	m.probed.Add(float64(st.NeighborhoodsProbed))
	m.objStore.Add(float64(st.ObjectsFromStore))
	m.objCache.Add(float64(st.ObjectsFromCache))
	m.bytesStore.Add(float64(st.BytesFromStore))
	m.bytesCache.Add(float64(st.BytesFromCache))
	backlog.Set(float64(st.WALVectors))
}

// backlogOf returns the backlog gauge of bucket/index.
func (m *queryMetrics) backlogOf(bucket, index string) prometheus.Gauge {
	return m.backlog.WithLabelValues(bucket, index)
}

func (m *queryMetrics) forget(bucket, index string) {
	m.backlog.DeleteLabelValues(bucket, index)
}

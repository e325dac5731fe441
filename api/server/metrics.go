package server

import (
	"strconv"
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
	st := strconv.Itoa(status)
	m.requests.WithLabelValues(op, st).Inc()
	m.latency.WithLabelValues(op, st).Observe(d.Seconds())
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
}

func newQueryMetrics() *queryMetrics {
	return &queryMetrics{
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
}

func (m *queryMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.scored, m.probed, m.objects, m.bytes, m.backlog}
}

func (m *queryMetrics) observe(bucket, index string, st *index.QueryStats) {
	m.scored.Add(float64(st.VectorsScored))
	m.probed.Add(float64(st.NeighborhoodsProbed))
	m.objects.WithLabelValues("store").Add(float64(st.ObjectsFromStore))
	m.objects.WithLabelValues("cache").Add(float64(st.ObjectsFromCache))
	m.bytes.WithLabelValues("store").Add(float64(st.BytesFromStore))
	m.bytes.WithLabelValues("cache").Add(float64(st.BytesFromCache))
	m.backlog.WithLabelValues(bucket, index).Set(float64(st.WALVectors))
}

func (m *queryMetrics) forget(bucket, index string) {
	m.backlog.DeleteLabelValues(bucket, index)
}

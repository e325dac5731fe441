package server

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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

package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// storeCollector exports the object store counters and the cache stats.
type storeCollector struct {
	st *openedStore

	ops, errs, bytesIn, bytesOut        *prometheus.Desc
	hits, diskHits, misses, evictions   *prometheus.Desc
	cacheBytes, cacheEntries, diskBytes *prometheus.Desc
}

func registerStoreMetrics(reg prometheus.Registerer, st *openedStore) error {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return reg.Register(&storeCollector{
		st:           st,
		ops:          d("vectorbucket_store_operations_total", "Object store operations (objects read = get + get_range), by operation.", "op"),
		errs:         d("vectorbucket_store_errors_total", "Failed object store operations, by operation.", "op"),
		bytesIn:      d("vectorbucket_store_read_bytes_total", "Bytes read from the object store."),
		bytesOut:     d("vectorbucket_store_written_bytes_total", "Bytes written to the object store."),
		hits:         d("vectorbucket_store_cache_hits_total", "Object reads served from the memory cache."),
		diskHits:     d("vectorbucket_store_cache_disk_hits_total", "Object reads served from the disk cache."),
		misses:       d("vectorbucket_store_cache_misses_total", "Cacheable object reads that went to the store."),
		evictions:    d("vectorbucket_store_cache_evictions_total", "Objects evicted from the memory cache."),
		cacheBytes:   d("vectorbucket_store_cache_bytes", "Bytes held by the memory cache."),
		cacheEntries: d("vectorbucket_store_cache_entries", "Objects held by the memory cache."),
		diskBytes:    d("vectorbucket_store_cache_disk_bytes", "Bytes held by the disk cache."),
	})
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.ops, c.errs, c.bytesIn, c.bytesOut, c.hits, c.diskHits, c.misses, c.evictions, c.cacheBytes, c.cacheEntries, c.diskBytes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.st.metrics.Snapshot()
	for _, k := range objectstore.OpKinds {
		o := snap.Ops[k]
		ch <- prometheus.MustNewConstMetric(c.ops, prometheus.CounterValue, float64(o.Calls), k.String())
		ch <- prometheus.MustNewConstMetric(c.errs, prometheus.CounterValue, float64(o.Errors), k.String())
	}
	t := snap.Total()
	ch <- prometheus.MustNewConstMetric(c.bytesIn, prometheus.CounterValue, float64(t.BytesIn))
	ch <- prometheus.MustNewConstMetric(c.bytesOut, prometheus.CounterValue, float64(t.BytesOut))
	cs := c.st.cache.Stats()
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(cs.Hits))
	ch <- prometheus.MustNewConstMetric(c.diskHits, prometheus.CounterValue, float64(cs.DiskHits))
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(cs.Misses))
	ch <- prometheus.MustNewConstMetric(c.evictions, prometheus.CounterValue, float64(cs.Evictions))
	ch <- prometheus.MustNewConstMetric(c.cacheBytes, prometheus.GaugeValue, float64(cs.Bytes))
	ch <- prometheus.MustNewConstMetric(c.cacheEntries, prometheus.GaugeValue, float64(cs.Entries))
	ch <- prometheus.MustNewConstMetric(c.diskBytes, prometheus.GaugeValue, float64(cs.DiskBytes))
}

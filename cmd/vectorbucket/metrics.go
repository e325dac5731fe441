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

// volumesCollector exports the counters of a multi-volume store.
type volumesCollector struct {
	st    *openedStore
	descs map[string]*prometheus.Desc
}

var volumeCounters = []struct{ name, help string }{
	{"scrub_passes", "Scrub passes completed."},
	{"scrub_objects", "Objects scanned by scrubs."},
	{"copies_missing", "Copies found missing by scrubs."},
	{"copies_stale", "Copies found stale by scrubs."},
	{"copies_corrupt", "Copies found corrupt by scrubs."},
	{"copies_repaired", "Copies rewritten by scrubs."},
	{"unrepairable", "Objects with no verifiable copy of their newest version."},
	{"corrupt_reads", "Copies that failed their checksum on a read."},
	{"read_repaired", "Copies rewritten by read repair."},
	{"no_quorum", "Operations that failed for want of a quorum of volumes."},
}

func registerVolumeMetrics(reg prometheus.Registerer, st *openedStore) error {
	if st.volumes == nil {
		return nil
	}
	c := &volumesCollector{st: st, descs: map[string]*prometheus.Desc{}}
	for _, v := range volumeCounters {
		c.descs[v.name] = prometheus.NewDesc("vectorbucket_volumes_"+v.name+"_total", v.help, nil, nil)
	}
	return reg.Register(c)
}

// Describe implements prometheus.Collector.
func (c *volumesCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *volumesCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.st.volumes.Stats()
	vals := map[string]int64{
		"scrub_passes": s.ScrubPasses, "scrub_objects": s.ScrubObjects, "copies_missing": s.CopiesMissing,
		"copies_stale": s.CopiesStale, "copies_corrupt": s.CopiesCorrupt, "copies_repaired": s.CopiesRepaired,
		"unrepairable": s.Unrepairable, "corrupt_reads": s.CorruptSeen, "read_repaired": s.ReadRepaired, "no_quorum": s.NoQuorum,
	}
	for name, d := range c.descs {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(vals[name]))
	}
}

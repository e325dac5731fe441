package main

import (
	"flag"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vectorbucket/vectorbucket/index"
)

// Shares of --memory-budget when the cache sizes are not given: the
// decoded-object cache (neighborhoods and WAL objects with everything
// queries derive from them) and the store's cache of raw immutable objects.
// The rest is working memory: request bodies, query and fold buffers, and
// the garbage collector's headroom.
const (
	decodedShare = 0.5
	storeShare   = 0.125
	// minMemoryBudget is the smallest budget serve accepts.
	minMemoryBudget = 64 << 20
	// Cache sizes with --memory-budget 0 when not given.
	noBudgetDecoded = 1 << 30
	noBudgetStore   = 256 << 20
)

// memoryPlan is how serve spends its memory budget.
type memoryPlan struct {
	budget         int64 // 0: no budget (the caches' sizes only)
	decoded, store int64 // cache sizes
	goLimit        int64 // the Go runtime's soft memory limit set (0: left alone)
	goLimitFrom    string
}

// planMemory splits budget between the caches; sizes given explicitly
// (--cache-bytes, --store-cache-bytes) are kept and must fit in it. With a
// budget, the Go runtime's soft memory limit is set to it unless the
// GOMEMLIMIT environment variable already sets one: the collector then
// works harder as the heap nears the budget instead of letting it grow to
// twice the live data.
func planMemory(budget, decoded, store int64, explicitDecoded, explicitStore bool, env func(string) string) (memoryPlan, error) {
	p := memoryPlan{budget: budget, decoded: decoded, store: store}
	if budget == 0 {
		// The caches as sized, or their defaults.
		if !explicitDecoded || p.decoded == 0 {
			p.decoded = noBudgetDecoded
		}
		if !explicitStore || p.store == 0 {
			p.store = noBudgetStore
		}
		return p, nil
	}
	if budget < minMemoryBudget {
		return p, fmt.Errorf("--memory-budget %d bytes is below the minimum of %d MiB", budget, minMemoryBudget>>20)
	}
	if !explicitDecoded {
		p.decoded = int64(float64(budget) * decodedShare)
	}
	if !explicitStore {
		p.store = int64(float64(budget) * storeShare)
	}
	if p.decoded+p.store > budget {
		return p, fmt.Errorf("--cache-bytes (%d) + --store-cache-bytes (%d) exceed --memory-budget (%d): the budget covers both caches and working memory",
			p.decoded, p.store, budget)
	}
	if v := env("GOMEMLIMIT"); v != "" {
		p.goLimitFrom = "GOMEMLIMIT=" + v
		return p, nil
	}
	p.goLimit = budget
	p.goLimitFrom = "--memory-budget"
	return p, nil
}

// apply sets the Go runtime's memory limit and logs the plan.
func (p memoryPlan) apply(log *slog.Logger) {
	if p.goLimit > 0 {
		debug.SetMemoryLimit(p.goLimit)
	}
	if p.budget == 0 {
		log.Info("memory: no budget", "decoded_cache", p.decoded, "store_cache", p.store)
		return
	}
	log.Info("memory budget", "budget", p.budget, "decoded_cache", p.decoded, "store_cache", p.store,
		"working", p.budget-p.decoded-p.store, "go_memory_limit", p.goLimitFrom)
}

// setFlags reports which flags of fs were given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// registerMemoryMetrics exports the budget and the decoded cache's use.
func registerMemoryMetrics(reg prometheus.Registerer, p memoryPlan, db *index.DB) error {
	budget := float64(p.budget)
	if p.budget == 0 {
		budget = math.NaN()
	}
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vectorbucket_memory_budget_bytes",
			Help: "The --memory-budget serve runs under (NaN: none)."}, func() float64 { return budget }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vectorbucket_index_cache_bytes",
			Help: "Bytes held by the decoded-object cache: decoded neighborhood and WAL objects and what queries derived from them."},
			func() float64 { u, _ := db.CacheUsage(); return float64(u) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vectorbucket_index_cache_budget_bytes",
			Help: "The decoded-object cache's budget."}, func() float64 { _, b := db.CacheUsage(); return float64(b) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

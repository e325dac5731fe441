package main

import (
	"strings"
	"testing"
)

func TestPlanMemory(t *testing.T) {
	noEnv := func(string) string { return "" }
	const gib = 1 << 30
	p, err := planMemory(2*gib, 0, 0, false, false, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if p.decoded != gib || p.store != 256<<20 || p.goLimit != 2*gib {
		t.Errorf("2 GiB budget: %+v, want 1 GiB decoded, 256 MiB store, Go limit 2 GiB", p)
	}
	// Explicit sizes are kept and must fit.
	p, err = planMemory(gib, 100<<20, 0, true, false, noEnv)
	if err != nil || p.decoded != 100<<20 || p.store != 128<<20 {
		t.Errorf("explicit --cache-bytes: %+v, %v", p, err)
	}
	if _, err := planMemory(gib, gib, 256<<20, true, true, noEnv); err == nil || !strings.Contains(err.Error(), "exceed --memory-budget") {
		t.Errorf("caches above the budget: %v", err)
	}
	if _, err := planMemory(1<<20, 0, 0, false, false, noEnv); err == nil || !strings.Contains(err.Error(), "minimum") {
		t.Errorf("1 MiB budget: %v", err)
	}
	// GOMEMLIMIT wins over the budget for the runtime's limit.
	p, err = planMemory(gib, 0, 0, false, false, func(k string) string {
		if k == "GOMEMLIMIT" {
			return "3GiB"
		}
		return ""
	})
	if err != nil || p.goLimit != 0 || p.goLimitFrom != "GOMEMLIMIT=3GiB" {
		t.Errorf("with GOMEMLIMIT: %+v, %v", p, err)
	}
	// No budget: the caches as sized (or 1 GiB and 256 MiB), the runtime
	// left alone.
	p, err = planMemory(0, 5<<20, 6<<20, true, true, noEnv)
	if err != nil || p.decoded != 5<<20 || p.store != 6<<20 || p.goLimit != 0 {
		t.Errorf("no budget: %+v, %v", p, err)
	}
	p, err = planMemory(0, 0, 0, false, false, noEnv)
	if err != nil || p.decoded != gib || p.store != 256<<20 || p.goLimit != 0 {
		t.Errorf("no budget, no sizes: %+v, %v", p, err)
	}
}

//go:build !amd64 || purego

package rabitq

// haveAVX512 is false off amd64 (or with -tags purego).
var haveAVX512 = false

// estimateAsm does nothing without the assembly kernel.
func estimateAsm(q *Query, c *Codes, est, lower []float32) int { return 0 }

var haveAVX2 = false

// butterflies does nothing without the assembly kernels.
func butterflies(x []float32) bool { return false }

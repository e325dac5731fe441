//go:build !amd64 || purego

package sq8

var haveAVX512 = false

func l2u8(qm, scale []float32, u []uint8) float32 { return l2uRef(qm, scale, u) }

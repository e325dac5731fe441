package rabitq

import "unsafe"

func unsafeptr(p *float32) unsafe.Pointer { return unsafe.Pointer(p) }

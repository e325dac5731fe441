package client

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
)

// Pooled request bodies.
//
// A PutVectors body of 500×784 floats is about 4 MB. Encoding each into a
// fresh slice costs the allocation, its zeroing and (on a VM) the page
// faults of fresh memory, and drives the garbage collector; the bodies are
// instead encoded into buffers kept in bodyPool. A buffer is shared by the
// call and every attempt's request body, and returns to the pool when the
// last of them lets go: net/http may read and close a request body after
// Client.Do has returned, so each attempt holds a reference until its
// body's Close.

// maxPooledBody is the largest buffer kept for reuse (the 20 MiB request limit).
const maxPooledBody = 20 << 20

// bodyPool is a free list rather than a sync.Pool: a sync.Pool is emptied
// by every garbage collection, and an ingest collects often.
var bodyPool = make(chan []byte, 8)

// bodyRef is a reference-counted pooled buffer.
type bodyRef struct {
	buf  []byte
	refs atomic.Int32
}

// newBodyRef returns a buffer with at least capacity n, held once.
func newBodyRef(n int) *bodyRef {
	r := &bodyRef{}
	select {
	case b := <-bodyPool:
		if cap(b) >= n {
			r.buf = b[:0]
		}
	default:
	}
	if r.buf == nil {
		r.buf = make([]byte, 0, n)
	}
	r.refs.Store(1)
	return r
}

// release drops one reference; the last returns the buffer to the pool.
func (r *bodyRef) release() {
	if r.refs.Add(-1) == 0 && cap(r.buf) <= maxPooledBody {
		b := r.buf[:0]
		r.buf = nil
		select {
		case bodyPool <- b:
		default:
		}
	}
}

// reader returns a request body over the buffer holding one reference,
// dropped by its first Close.
func (r *bodyRef) reader() io.ReadCloser {
	r.refs.Add(1)
	return &pooledBody{rd: bytes.NewReader(r.buf), ref: r}
}

// pooledBody is a request body over a pooled buffer. The transport may
// close it from another goroutine than the one reading it, so reads and
// Close are serialized: no read touches the buffer once it is released.
type pooledBody struct {
	mu     sync.Mutex
	rd     *bytes.Reader
	ref    *bodyRef
	closed bool
}

// Read implements io.Reader; after Close it reports io.EOF.
func (p *pooledBody) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, io.EOF
	}
	return p.rd.Read(b)
}

// Close releases the buffer (once).
func (p *pooledBody) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		p.rd = nil
		p.ref.release()
	}
	return nil
}

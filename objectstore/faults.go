package objectstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// OpKind names a Store method.
type OpKind uint8

// The Store methods, in interface order.
const (
	OpGet OpKind = iota
	OpGetRange
	OpHead
	OpPut
	OpDelete
	OpList
	numOpKinds
)

// OpKinds lists every OpKind.
var OpKinds = [...]OpKind{OpGet, OpGetRange, OpHead, OpPut, OpDelete, OpList}

var opNames = [numOpKinds]string{"get", "get_range", "head", "put", "delete", "list"}

func (k OpKind) String() string {
	if k < numOpKinds {
		return opNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", k)
}

// Op is one operation about to run: its kind and key (the prefix, for
// OpList).
type Op struct {
	Kind OpKind
	Key  string
}

// ErrInjected is the error an Injector returns; it is never a sentinel of
// the contract, so callers see it as an I/O failure.
var ErrInjected = errors.New("objectstore: injected fault")

// Injector decides, before each operation, whether it fails. Injectors are
// safe for concurrent use. In the style of pebble's errorfs: small injectors
// combine into the failure a test wants.
type Injector interface {
	// MaybeError returns a non-nil error to fail op, or nil to let it run.
	MaybeError(op Op) error
}

// Delayer is implemented by injectors that also slow operations down.
type Delayer interface {
	// Delay is how long op waits before it runs.
	Delay(op Op) time.Duration
}

// Faults is a Store that consults an Injector before each operation.
type Faults struct {
	s        Store
	inj      Injector
	injected atomic.Int64
}

var _ Store = (*Faults)(nil)

// NewFaults wraps s so that inj can fail or delay each operation. An
// injected error is returned wrapped with the operation and key, and
// matches ErrInjected. With Ambiguous, the operation is carried out before
// the error is returned, as when a store applies a write but the response
// is lost.
func NewFaults(s Store, inj Injector) *Faults {
	return &Faults{s: s, inj: inj}
}

// Injected is how many operations failed by injection so far.
func (f *Faults) Injected() int64 { return f.injected.Load() }

// before returns the injected error (nil: run normally) and whether the
// operation must still run first.
func (f *Faults) before(ctx context.Context, op Op) (runFirst bool, err error) {
	if d, ok := f.inj.(Delayer); ok {
		if wait := d.Delay(op); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return false, fmt.Errorf("%s %s: %w", op.Kind, op.Key, ctx.Err())
			case <-t.C:
			}
		}
	}
	err = f.inj.MaybeError(op)
	if err == nil {
		return false, nil
	}
	f.injected.Add(1)
	var amb *ambiguousError
	runFirst = errors.As(err, &amb)
	return runFirst, fmt.Errorf("%s %s: %w", op.Kind, op.Key, err)
}

// Get runs Get unless the injector fails it.
func (f *Faults) Get(ctx context.Context, key string) ([]byte, Attrs, error) {
	run, err := f.before(ctx, Op{OpGet, key})
	if err != nil {
		if run {
			_, _, _ = f.s.Get(ctx, key)
		}
		return nil, Attrs{}, err
	}
	return f.s.Get(ctx, key)
}

// GetRange runs GetRange unless the injector fails it.
func (f *Faults) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, Attrs, error) {
	run, err := f.before(ctx, Op{OpGetRange, key})
	if err != nil {
		if run {
			_, _, _ = f.s.GetRange(ctx, key, offset, length)
		}
		return nil, Attrs{}, err
	}
	return f.s.GetRange(ctx, key, offset, length)
}

// Head runs Head unless the injector fails it.
func (f *Faults) Head(ctx context.Context, key string) (Attrs, error) {
	run, err := f.before(ctx, Op{OpHead, key})
	if err != nil {
		if run {
			_, _ = f.s.Head(ctx, key)
		}
		return Attrs{}, err
	}
	return f.s.Head(ctx, key)
}

// Put runs Put unless the injector fails it; an ambiguous failure stores
// the object and still returns the error.
func (f *Faults) Put(ctx context.Context, key string, data []byte, cond Condition) (Attrs, error) {
	run, err := f.before(ctx, Op{OpPut, key})
	if err != nil {
		if run {
			_, _ = f.s.Put(ctx, key, data, cond)
		}
		return Attrs{}, err
	}
	return f.s.Put(ctx, key, data, cond)
}

// Delete runs Delete unless the injector fails it; an ambiguous failure
// deletes and still returns the error.
func (f *Faults) Delete(ctx context.Context, key string) error {
	run, err := f.before(ctx, Op{OpDelete, key})
	if err != nil {
		if run {
			_ = f.s.Delete(ctx, key)
		}
		return err
	}
	return f.s.Delete(ctx, key)
}

// List runs List unless the injector fails it.
func (f *Faults) List(ctx context.Context, opts ListOptions) (Page, error) {
	_, err := f.before(ctx, Op{OpList, opts.Prefix})
	if err != nil {
		return Page{}, err
	}
	return f.s.List(ctx, opts)
}

// InjectorFunc adapts a function to Injector.
type InjectorFunc func(op Op) error

// MaybeError calls fn.
func (fn InjectorFunc) MaybeError(op Op) error { return fn(op) }

// OnIndex fails the n-th operation it sees (counting from 0) and no other.
// Combine it with If to count only some operations.
func OnIndex(n int64) Injector {
	var seen atomic.Int64
	return InjectorFunc(func(op Op) error {
		if i := seen.Add(1) - 1; i == n {
			return fmt.Errorf("operation #%d: %w", i, ErrInjected)
		}
		return nil
	})
}

// Always fails every operation.
func Always() Injector {
	return InjectorFunc(func(Op) error { return ErrInjected })
}

// OpIs is a predicate matching operations of the given kinds.
func OpIs(kinds ...OpKind) func(Op) bool {
	return func(op Op) bool {
		for _, k := range kinds {
			if op.Kind == k {
				return true
			}
		}
		return false
	}
}

// KeyPrefix is a predicate matching operations whose key starts with prefix.
func KeyPrefix(prefix string) func(Op) bool {
	return func(op Op) bool { return strings.HasPrefix(op.Key, prefix) }
}

// And is a predicate matching operations that match every pred.
func And(preds ...func(Op) bool) func(Op) bool {
	return func(op Op) bool {
		for _, p := range preds {
			if !p(op) {
				return false
			}
		}
		return true
	}
}

// If consults inj only for operations matching pred (so inj counts only
// those), and lets every other operation run.
func If(pred func(Op) bool, inj Injector) Injector {
	return &ifInjector{pred: pred, inj: inj}
}

type ifInjector struct {
	pred func(Op) bool
	inj  Injector
}

func (f *ifInjector) MaybeError(op Op) error {
	if !f.pred(op) {
		return nil
	}
	return f.inj.MaybeError(op)
}

func (f *ifInjector) Delay(op Op) time.Duration {
	if d, ok := f.inj.(Delayer); ok && f.pred(op) {
		return d.Delay(op)
	}
	return 0
}

// Random fails each operation with probability p, drawn from a generator
// seeded with seed, so a failing run can be replayed (given the same order
// of operations).
func Random(p float64, seed uint64) Injector {
	r := &randomInjector{p: p, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	return r
}

type randomInjector struct {
	p   float64
	mu  sync.Mutex
	rng *rand.Rand
}

func (r *randomInjector) MaybeError(Op) error {
	r.mu.Lock()
	hit := r.rng.Float64() < r.p
	r.mu.Unlock()
	if hit {
		return fmt.Errorf("random fault (p=%g): %w", r.p, ErrInjected)
	}
	return nil
}

// Latency delays every operation by d and fails none: wrap a local store in
// it to see what a store with real S3's round-trip time (tens of ms) costs.
func Latency(d time.Duration) Injector { return latency(d) }

type latency time.Duration

func (latency) MaybeError(Op) error      { return nil }
func (l latency) Delay(Op) time.Duration { return time.Duration(l) }

// Any combines injectors: an operation fails with the first error any of
// them returns (every injector is consulted, so counters advance), and waits
// for the sum of their delays.
func Any(injs ...Injector) Injector { return anyInjector(injs) }

type anyInjector []Injector

func (a anyInjector) MaybeError(op Op) error {
	var first error
	for _, inj := range a {
		if err := inj.MaybeError(op); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (a anyInjector) Delay(op Op) time.Duration {
	var sum time.Duration
	for _, inj := range a {
		if d, ok := inj.(Delayer); ok {
			sum += d.Delay(op)
		}
	}
	return sum
}

// Ambiguous turns the failures of inj into ambiguous ones: the operation is
// carried out, then the error is returned, as when a store applies a write
// but the reply is lost. Callers must then treat the outcome as unknown.
func Ambiguous(inj Injector) Injector { return ambiguous{inj} }

type ambiguous struct{ inj Injector }

func (a ambiguous) MaybeError(op Op) error {
	if err := a.inj.MaybeError(op); err != nil {
		return &ambiguousError{err}
	}
	return nil
}

func (a ambiguous) Delay(op Op) time.Duration {
	if d, ok := a.inj.(Delayer); ok {
		return d.Delay(op)
	}
	return 0
}

// ambiguousError marks an injected failure whose operation still ran.
type ambiguousError struct{ err error }

func (e *ambiguousError) Error() string { return "after the operation ran: " + e.err.Error() }
func (e *ambiguousError) Unwrap() error { return e.err }

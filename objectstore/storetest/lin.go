package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// OpKind names an operation in a linearizability history.
type OpKind string

// The operations a linearizability client issues.
const (
	OpGet     OpKind = "get"
	OpHead    OpKind = "head"
	OpPut     OpKind = "put"     // unconditional
	OpCreate  OpKind = "create"  // create-only
	OpIfMatch OpKind = "ifmatch" // if-match Op.IfMatch
	OpDelete  OpKind = "delete"
)

// Result is the outcome class of an operation.
type Result string

// Outcomes. ResultError means the outcome is unknown (the operation may or
// may not have taken effect); the checker allows both.
const (
	ResultOK           Result = "ok"
	ResultNotFound     Result = "notfound"
	ResultPrecondition Result = "precondition"
	ResultError        Result = "error"
)

// Op is one completed operation of a history. It is plain data so that
// histories recorded in other processes can be sent as JSON and merged.
type Op struct {
	Client  int    `json:"c"`
	Kind    OpKind `json:"k"`
	Key     string `json:"key"`
	Value   string `json:"v,omitempty"`  // written value (puts) or value read (get)
	IfMatch string `json:"im,omitempty"` // condition of OpIfMatch
	Result  Result `json:"r"`
	ETag    string `json:"e,omitempty"` // ETag returned by a put, get or head
	Err     string `json:"err,omitempty"`
	Call    int64  `json:"call"`
	Return  int64  `json:"ret"`
}

// Workload describes one linearizability client.
type Workload struct {
	// Client identifies the client in the history; unique per history.
	Client int
	// Keys the client operates on.
	Keys []string
	// Ops is the number of operations to issue.
	Ops int
	// Seed makes the operation mix reproducible.
	Seed uint64
	// Clock stamps calls and returns; nil uses the process's monotonic
	// clock (only valid when all clients run in one process).
	Clock func() int64
	// NoDeletes replaces deletes by gets (see Options.NoDeletes).
	NoDeletes bool
}

var clockBase = time.Now()

// MonotonicClock is the default history clock: nanoseconds on this
// process's monotonic clock.
func MonotonicClock() int64 { return int64(time.Since(clockBase)) }

// RunWorkload runs one client's random mix of puts, create-only puts,
// if-match puts, gets, heads and deletes against s and returns its history.
// Unexpected errors are recorded as ResultError, not reported.
func RunWorkload(ctx context.Context, s objectstore.Store, w Workload) []Op {
	clock := w.Clock
	if clock == nil {
		clock = MonotonicClock
	}
	rng := rand.New(rand.NewPCG(w.Seed, uint64(w.Client)))
	etags := map[string]string{} // last etag this client saw per key
	ops := make([]Op, 0, w.Ops)
	for i := range w.Ops {
		op := Op{Client: w.Client, Key: w.Keys[rng.IntN(len(w.Keys))]}
		value := fmt.Sprintf("c%d-%d", w.Client, i)
		r := rng.IntN(100)
		switch {
		case r < 25:
			op.Kind = OpGet
		case r < 35:
			op.Kind = OpHead
		case r < 50:
			op.Kind, op.Value = OpPut, value
		case r < 65:
			op.Kind, op.Value = OpCreate, value
		case r < 90:
			op.Kind, op.Value, op.IfMatch = OpIfMatch, value, etags[op.Key]
			if op.IfMatch == "" || rng.IntN(10) == 0 {
				op.IfMatch = "stale-" + value
			}
		case w.NoDeletes:
			op.Kind = OpGet
		default:
			op.Kind = OpDelete
		}
		op.Call = clock()
		var err error
		switch op.Kind {
		case OpGet:
			var b []byte
			var a objectstore.Attrs
			b, a, err = s.Get(ctx, op.Key)
			op.Value, op.ETag = string(b), a.ETag
		case OpHead:
			var a objectstore.Attrs
			a, err = s.Head(ctx, op.Key)
			op.ETag = a.ETag
		case OpPut, OpCreate, OpIfMatch:
			cond := objectstore.Condition{CreateOnly: op.Kind == OpCreate}
			if op.Kind == OpIfMatch {
				cond.IfMatch = op.IfMatch
			}
			var a objectstore.Attrs
			a, err = s.Put(ctx, op.Key, []byte(op.Value), cond)
			op.ETag = a.ETag
		case OpDelete:
			err = s.Delete(ctx, op.Key)
		}
		op.Return = clock()
		switch {
		case err == nil:
			op.Result = ResultOK
		case errors.Is(err, objectstore.ErrNotFound):
			op.Result = ResultNotFound
		case errors.Is(err, objectstore.ErrPreconditionFailed):
			op.Result = ResultPrecondition
		default:
			op.Result, op.Err = ResultError, err.Error()
		}
		if op.Result == ResultOK && op.ETag != "" {
			etags[op.Key] = op.ETag
		}
		ops = append(ops, op)
	}
	return ops
}

// Linearizability runs opts.Clients concurrent clients on each of stores
// (handles on the same underlying data: one store, or several handles on
// one directory or bucket), all on opts.Keys shared keys, and checks the
// merged history with porcupine against a register-with-ETag model. Any
// operation that fails with an error other than ErrNotFound or
// ErrPreconditionFailed fails the test.
func Linearizability(t *testing.T, stores []objectstore.Store, opts Options) {
	clients, nops, nkeys := opts.Clients, opts.Ops, opts.Keys
	if clients <= 0 {
		clients = 3
	}
	if nops <= 0 {
		nops = 60
		if testing.Short() {
			nops = 40
		}
	}
	if nkeys <= 0 {
		nkeys = 3
	}
	keys := LinKeys(opts.prefix(), nkeys)
	seed := rand.Uint64()
	t.Logf("linearizability: %d stores × %d clients × %d ops on %d keys, seed %d", len(stores), clients, nops, nkeys, seed)
	var (
		mu  sync.Mutex
		all []Op
		wg  sync.WaitGroup
	)
	for si, s := range stores {
		for c := range clients {
			id := si*clients + c
			wg.Go(func() {
				h := RunWorkload(t.Context(), s, Workload{Client: id, Keys: keys, Ops: nops, Seed: seed, Clock: opts.Clock, NoDeletes: opts.NoDeletes})
				mu.Lock()
				all = append(all, h...)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	for _, op := range all {
		if op.Result == ResultError {
			t.Errorf("client %d %s %q: %s", op.Client, op.Kind, op.Key, op.Err)
		}
	}
	defer func() {
		for _, k := range keys {
			_ = stores[0].Delete(context.WithoutCancel(t.Context()), k)
		}
	}()
	if opts.KnownViolation == "" {
		CheckHistory(t, all)
		return
	}
	res, info := checkOps(all)
	if res == porcupine.Illegal {
		describeViolation(t, all, info)
		t.Skipf("history of %d operations is not linearizable; known limitation: %s", len(all), opts.KnownViolation)
	}
	reportCheck(t, res, all, info)
}

// LinKeys returns n fresh keys under prefix (with a random part, so they
// are absent even in a shared bucket) for a linearizability workload.
func LinKeys(prefix string, n int) []string {
	keys := make([]string, n)
	dir := "lin-" + randomHex(4)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%s/k%d", prefix, dir, i)
	}
	return keys
}

// CheckHistory checks that history (possibly merged from several processes
// sharing one clock) is linearizable for a register per key holding a value
// and an ETag. Keys are assumed to be absent when the history starts.
func CheckHistory(t testing.TB, history []Op) {
	t.Helper()
	res, info := checkOps(history)
	reportCheck(t, res, history, info)
}

func checkOps(history []Op) (porcupine.CheckResult, porcupine.LinearizationInfo) {
	ops := make([]porcupine.Operation, len(history))
	for i, op := range history {
		ret := op.Return
		if op.Result == ResultError {
			// The operation may take effect at any later time.
			ret = 1<<62 + int64(i)
		}
		ops[i] = porcupine.Operation{ClientId: op.Client, Input: op, Output: op, Call: op.Call, Return: ret}
	}
	return porcupine.CheckOperationsVerbose(registerModel, ops, time.Minute)
}

func reportCheck(t testing.TB, res porcupine.CheckResult, history []Op, info porcupine.LinearizationInfo) {
	t.Helper()
	ops := history
	switch res {
	case porcupine.Ok:
		t.Logf("linearizability: %d operations, ok", len(ops))
	case porcupine.Unknown:
		t.Errorf("linearizability check of %d operations timed out", len(ops))
	default:
		t.Errorf("history of %d operations is not linearizable", len(ops))
		describeViolation(t, history, info)
	}
}

// describeViolation logs the longest linearizable prefix the checker found
// for each failing partition.
func describeViolation(t testing.TB, history []Op, info porcupine.LinearizationInfo) {
	t.Helper()
	var b strings.Builder
	for _, op := range history {
		fmt.Fprintf(&b, "  [%d,%d] c%d %s\n", op.Call, op.Return, op.Client, describeOp(op))
	}
	if len(history) <= 400 {
		t.Logf("history:\n%s", b.String())
	}
	for p, lins := range info.PartialLinearizations() {
		best := 0
		for _, l := range lins {
			best = max(best, len(l))
		}
		t.Logf("partition %d: longest linearizable prefix has %d operations", p, best)
	}
}

func describeOp(op Op) string {
	switch op.Kind {
	case OpGet:
		return fmt.Sprintf("get %s -> %s %q %s", op.Key, op.Result, op.Value, op.ETag)
	case OpHead:
		return fmt.Sprintf("head %s -> %s %s", op.Key, op.Result, op.ETag)
	case OpIfMatch:
		return fmt.Sprintf("ifmatch(%s) %s=%q -> %s %s", op.IfMatch, op.Key, op.Value, op.Result, op.ETag)
	case OpDelete:
		return fmt.Sprintf("delete %s -> %s", op.Key, op.Result)
	}
	return fmt.Sprintf("%s %s=%q -> %s %s", op.Kind, op.Key, op.Value, op.Result, op.ETag)
}

// register is the model state of one key. Unknown means a write whose
// outcome is unknown may have stored Value with an ETag nobody has seen.
type register struct {
	Exists  bool
	Value   string
	ETag    string
	Unknown bool
}

var registerModel = (&porcupine.NondeterministicModel{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var order []string
		for _, op := range history {
			k := op.Input.(Op).Key
			if _, ok := byKey[k]; !ok {
				order = append(order, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(order))
		for _, k := range order {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() []any { return []any{register{}} },
	Step: func(state, input, output any) []any {
		return step(state.(register), output.(Op))
	},
	DescribeOperation: func(input, output any) string { return describeOp(output.(Op)) },
	DescribeState: func(state any) string {
		r := state.(register)
		if !r.Exists {
			return "absent"
		}
		return fmt.Sprintf("%q %s unknown=%v", r.Value, r.ETag, r.Unknown)
	},
}).ToModel()

// step returns the states op can lead to from r; none if op is impossible.
func step(r register, op Op) []any {
	etagMatches := func(e string) bool { return r.Exists && (r.Unknown || r.ETag == e) }
	written := register{Exists: true, Value: op.Value, ETag: op.ETag}
	maybe := register{Exists: true, Value: op.Value, Unknown: true}
	switch op.Kind {
	case OpGet, OpHead:
		switch op.Result {
		case ResultNotFound:
			if !r.Exists {
				return []any{r}
			}
		case ResultOK:
			if etagMatches(op.ETag) && (op.Kind == OpHead || op.Value == r.Value) {
				r.ETag, r.Unknown = op.ETag, false
				return []any{r}
			}
		case ResultError:
			return []any{r}
		}
	case OpPut:
		switch op.Result {
		case ResultOK:
			return []any{written}
		case ResultError:
			return []any{r, maybe}
		}
	case OpCreate:
		switch op.Result {
		case ResultOK:
			if !r.Exists {
				return []any{written}
			}
		case ResultPrecondition:
			if r.Exists {
				return []any{r}
			}
		case ResultError:
			if !r.Exists {
				return []any{r, maybe}
			}
			return []any{r}
		}
	case OpIfMatch:
		switch op.Result {
		case ResultOK:
			if etagMatches(op.IfMatch) {
				return []any{written}
			}
		case ResultPrecondition:
			if !r.Exists || r.Unknown || r.ETag != op.IfMatch {
				return []any{r}
			}
		case ResultError:
			if etagMatches(op.IfMatch) {
				return []any{r, maybe}
			}
			return []any{r}
		}
	case OpDelete:
		switch op.Result {
		case ResultOK:
			return []any{register{}}
		case ResultError:
			return []any{r, register{}}
		}
	}
	return nil
}

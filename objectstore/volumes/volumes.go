// Package volumes is an objectstore.Store that keeps every object on
// several local volumes (directories on different disks), so that losing a
// disk loses no acknowledged write and no bit rot is ever served.
//
// Each volume is a local.Store. With N volumes every object has N full
// copies (replication; docs/durability.md explains why replication and not
// Reed-Solomon, with measurements). The write quorum W is a majority
// (N/2+1) and the read quorum R = N-W+1, so every read quorum meets every
// write quorum:
//
//   - Put and Delete take the key's lock (flock on a majority of volumes),
//     read the version of every copy, check the condition against the
//     newest, and write version+1 to every reachable volume, each fsynced
//     (local.Store's crash-safe put). They are acknowledged only when at
//     least W copies are durable; otherwise they fail with ErrNoQuorum.
//     Deletes write tombstones (a versioned "deleted" copy), so a volume
//     that missed a delete cannot bring the object back.
//   - Reads ask every reachable volume for its copy's version (the whole
//     copy from one, the header from the rest) and serve the newest version,
//     from another copy if the first fails its checksum. At least R volumes
//     that hold a complete replica must answer, or the read fails with
//     ErrNoQuorum. A newest version that fewer than W volumes hold (a write
//     that failed part-way) is first written back to W volumes, so a value
//     once returned can never disappear. Copies found missing, stale or
//     corrupt are repaired in the background (read repair).
//   - Versions are above every version seen and at least the wall clock in
//     nanoseconds, so a part-way write on a volume that was down cannot
//     come back and beat writes acknowledged meanwhile (this assumes the
//     machine's clock does not step back across such a gap).
//   - Scrub (scrub.go) walks every object, verifies every copy and rewrites
//     the bad ones, and refills a volume that came back empty.
//
// A volume holds a complete replica when its VOLUME marker file exists. A
// volume that comes back empty has none: it receives writes but does not
// count towards read quorums until a scrub pass has refilled it and written
// the marker.
//
// With one volume (N = 1) the store is exactly a local.Store on that
// directory (same files, same behaviour); Scrub then verifies but cannot
// repair.
package volumes

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
)

// ErrNoQuorum: too few volumes answered to perform the operation safely.
// The store returns it instead of possibly stale or lost data.
var ErrNoQuorum = errors.New("volumes: not enough volumes for a quorum")

// markerName is the file in a volume that says it holds a complete replica.
const markerName = "VOLUME"

const markerFormat = "vectorbucket-volume 1\nstore %s\n"

// Options tunes a Store. The zero value is the default.
type Options struct {
	// NoReadRepair turns off the background repair of copies that reads
	// find missing, stale or corrupt (the scrubber still repairs them).
	NoReadRepair bool
}

// Store keeps every object on all of its volumes. It is safe for concurrent
// use, and several Stores (in one or many processes) may share volumes.
type Store struct {
	single *local.Store // N = 1: plain local store

	vols    []*volume
	w, r    int
	id      string // the store's id, in every marker
	stripes []chan struct{}
	opts    Options

	repairs chan string
	cancel  context.CancelFunc
	done    sync.WaitGroup

	stats counters
}

var _ objectstore.Store = (*Store)(nil)

// volume is one directory.
type volume struct {
	idx    int
	dir    string
	marker string
	mu     sync.RWMutex
	st     *local.Store // nil while detached
	misses atomic.Int64 // failed writes since attached
	// retired holds stores replaced by a re-attach; operations may still be
	// using them, so they are closed only with the Store.
	retired []*local.Store
}

func (v *volume) store() *local.Store {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.st
}

// complete reports whether the volume holds a complete replica now.
func (v *volume) complete() bool {
	_, err := os.Stat(v.marker)
	return err == nil
}

// Open opens the store on dirs, one volume per directory. A new store
// (no directory has a VOLUME marker) creates missing directories; an
// existing one attaches the volumes it finds and treats a directory without
// a marker as empty (to be refilled by Scrub). Open fails with ErrNoQuorum
// when fewer than a majority of the volumes can be attached.
func Open(ctx context.Context, dirs []string, opts Options) (*Store, error) {
	if len(dirs) == 0 {
		return nil, errors.New("open volumes: no directories")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open volumes: %w", err)
	}
	if len(dirs) == 1 {
		if _, err := os.Stat(filepath.Join(dirs[0], markerName)); err == nil {
			return nil, fmt.Errorf("open volumes: %s is one volume of a multi-volume store; open it with all its volumes", dirs[0])
		}
		st, err := local.Open(dirs[0])
		if err != nil {
			return nil, fmt.Errorf("open volumes: %w", err)
		}
		return &Store{single: st}, nil
	}
	s := &Store{w: len(dirs)/2 + 1, opts: opts, stripes: make([]chan struct{}, lockStripes)}
	s.r = len(dirs) - s.w + 1
	for i := range s.stripes {
		s.stripes[i] = make(chan struct{}, 1)
	}
	seen := map[string]bool{}
	for i, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("open volumes: %w", err)
		}
		if seen[abs] {
			return nil, fmt.Errorf("open volumes: %s given twice", abs)
		}
		seen[abs] = true
		s.vols = append(s.vols, &volume{idx: i, dir: abs, marker: filepath.Join(abs, markerName)})
	}
	ids := map[string]bool{}
	for _, v := range s.vols {
		id, err := readMarker(v.marker)
		if err != nil {
			return nil, fmt.Errorf("open volumes: %w", err)
		}
		if id != "" {
			ids[id] = true
			s.id = id
		}
	}
	switch {
	case len(ids) > 1:
		return nil, fmt.Errorf("open volumes: the directories belong to %d different stores", len(ids))
	case len(ids) == 0: // a new store
		s.id = newID()
		for _, v := range s.vols {
			if hasObjects(v.dir) {
				return nil, fmt.Errorf("open volumes: %s already holds a single-volume store; moving it to several volumes is not supported", v.dir)
			}
		}
		for _, v := range s.vols {
			if err := os.MkdirAll(v.dir, 0o755); err != nil {
				return nil, fmt.Errorf("open volumes: %w", err)
			}
			if err := s.attach(v); err != nil {
				return nil, fmt.Errorf("open volumes: %w", err)
			}
			if err := s.writeMarker(v); err != nil {
				return nil, fmt.Errorf("open volumes: %w", err)
			}
		}
	default:
		attached := 0
		for _, v := range s.vols {
			if _, err := os.Stat(v.dir); err != nil {
				continue // disk missing: stays detached
			}
			if err := s.attach(v); err == nil {
				attached++
			}
		}
		if attached < s.w {
			return nil, fmt.Errorf("open volumes: %d of %d volumes attached, need %d: %w", attached, len(s.vols), s.w, ErrNoQuorum)
		}
	}
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if !opts.NoReadRepair {
		s.repairs = make(chan string, 256)
		s.done.Go(func() { s.readRepairer(ctx) })
	}
	return s, nil
}

// hasObjects reports whether dir holds a local store with objects in it.
func hasObjects(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "objects"))
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) > 0
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func randUint64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// readMarker returns the store id in a marker file, or "" if there is none.
func readMarker(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var id string
	if _, err := fmt.Sscanf(string(b), markerFormat, &id); err != nil {
		return "", fmt.Errorf("unreadable volume marker %s: %q", path, strings.TrimSpace(string(b)))
	}
	return id, nil
}

// writeMarker declares v a complete replica (crash-safe: temp, fsync, rename).
func (s *Store) writeMarker(v *volume) error {
	tmp := v.marker + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write marker of volume %s: %w", v.dir, err)
	}
	_, err = fmt.Fprintf(f, markerFormat, s.id)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, v.marker)
	}
	if err == nil {
		var d *os.File
		if d, err = os.Open(v.dir); err == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("write marker of volume %s: %w", v.dir, err)
	}
	return nil
}

// attach opens the local store of v (creating its layout in an empty
// directory) and starts counting its missed writes afresh.
func (s *Store) attach(v *volume) error {
	st, err := local.Open(v.dir)
	if err == nil {
		err = os.MkdirAll(filepath.Join(v.dir, lockDir), 0o755)
	}
	if err != nil {
		return fmt.Errorf("attach volume %s: %w", v.dir, err)
	}
	v.mu.Lock()
	if v.st != nil {
		v.retired = append(v.retired, v.st)
	}
	v.st = st
	v.misses.Store(0)
	v.mu.Unlock()
	return nil
}

// laidOut reports whether v is attached and its local store's directories
// exist (they do not in a directory that came back empty).
func (v *volume) laidOut() bool {
	if v.store() == nil {
		return false
	}
	for _, d := range []string{"objects", "tmp", lockDir} {
		if fi, err := os.Stat(filepath.Join(v.dir, d)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// Close stops read repair and releases the volumes.
func (s *Store) Close() error {
	if s.single != nil {
		return s.single.Close()
	}
	s.cancel()
	s.done.Wait()
	var errs []error
	for _, v := range s.vols {
		v.mu.Lock()
		for _, st := range append(v.retired, v.st) {
			if st != nil {
				errs = append(errs, st.Close())
			}
		}
		v.st, v.retired = nil, nil
		v.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Volumes returns the number of volumes.
func (s *Store) Volumes() int {
	if s.single != nil {
		return 1
	}
	return len(s.vols)
}

// Quorums returns the write and read quorums.
func (s *Store) Quorums() (write, read int) {
	if s.single != nil {
		return 1, 1
	}
	return s.w, s.r
}

// CopyPath returns the file that holds volume i's copy of key, so tests
// can damage copies behind the store's back.
func (s *Store) CopyPath(i int, key string) (string, error) {
	if s.single != nil {
		if i != 0 {
			return "", fmt.Errorf("volume %d of 1", i)
		}
		return s.single.Path(key)
	}
	st := s.vols[i].store()
	if st == nil {
		return "", fmt.Errorf("volume %d is detached", i)
	}
	return st.Path(key)
}

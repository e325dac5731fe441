package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

// listKeys is a set of keys that stresses ordering: prefixes of each other,
// characters that sort before and after '/', bytes a filesystem backend must
// escape, and one long segment.
func listKeys(p string, seg int, fileTree bool) []string {
	rel := []string{"a", "a/b", "a/b/c", "a.b", "a-", "a0", "ab", "a b", "a%41", "a~", "a+",
		"b/x/y", "b/x", "b!", ".hidden", "Z", "A", "A/b", "é", "日本", "%", "~", "a/b.c/d", "a/bc",
		"long/" + strings.Repeat("s", seg) + "/end", "long/" + strings.Repeat("s", seg-1) + "t",
		"long/" + strings.Repeat("s", seg), "long/" + strings.Repeat("%", 200)}
	keys := make([]string, 0, len(rel))
	for _, r := range rel {
		if fileTree && slices.ContainsFunc(rel, func(o string) bool { return strings.HasPrefix(o, r+"/") }) {
			continue // a file tree cannot hold r next to r/...
		}
		keys = append(keys, p+r)
	}
	return keys
}

// listAll pages through a listing with the given limit and checks page rules.
func listAll(t *testing.T, s objectstore.Store, prefix, startAfter string, limit int) []objectstore.Attrs {
	t.Helper()
	var all []objectstore.Attrs
	after := startAfter
	for pages := 0; ; pages++ {
		if pages > 10_000 {
			t.Fatalf("List(%q) does not terminate", prefix)
		}
		page, err := s.List(t.Context(), objectstore.ListOptions{Prefix: prefix, StartAfter: after, Limit: limit})
		if err != nil {
			t.Fatalf("List(prefix %q, after %q, limit %d): %v", prefix, after, limit, err)
		}
		if limit > 0 && len(page.Objects) > limit {
			t.Fatalf("List(limit %d) returned %d objects", limit, len(page.Objects))
		}
		for _, a := range page.Objects {
			if !strings.HasPrefix(a.Key, prefix) || a.Key <= after {
				t.Errorf("List(prefix %q, after %q) returned %q", prefix, after, a.Key)
			}
		}
		all = append(all, page.Objects...)
		if page.Next == "" {
			return all
		}
		if page.Next <= after {
			t.Fatalf("List(after %q) Next = %q does not advance", after, page.Next)
		}
		after = page.Next
	}
}

func keysOf(as []objectstore.Attrs) []string {
	ks := make([]string, len(as))
	for i, a := range as {
		ks[i] = a.Key
	}
	return ks
}

// expectKeys filters and sorts keys as a listing should return them.
func expectKeys(keys []string, prefix, startAfter string) []string {
	var want []string
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) && k > startAfter {
			want = append(want, k)
		}
	}
	slices.Sort(want)
	return want
}

func (su *suite) testList(t *testing.T, s objectstore.Store, p string) {
	seg := 300 // a path segment longer than a file name may be
	if su.opts.FileTree {
		seg = 250
	}
	keys := listKeys(p, seg, su.opts.FileTree)
	sizes := map[string]int{}
	for i, k := range keys {
		data := pattern(i*7, byte(i))
		sizes[k] = len(data)
		mustPut(t, s, k, data)
	}
	cases := []struct{ prefix, after string }{
		{p, ""},
		{p + "a", ""},
		{p + "a/", ""},
		{p + "a/b", ""},
		{p + "b", ""},
		{p + "long/", ""},
		{p + "long/sss", ""},
		{p, p + "a"},
		{p, p + "a/b"},
		{p, p + "a/"},
		{p, p + "aa"},
		{p + "a", p + "a/b/c"},
		{p, p + "long/" + strings.Repeat("s", seg)},
		{p, p + "~"},
		{p, p + "\U0010FFFF"},
		{p + "a/", p},
		{p + "nothing", ""},
	}
	for _, c := range cases {
		want := expectKeys(keys, c.prefix, c.after)
		limits := []int{0, 1, 2, 3, 1000}
		if su.opts.ListDirOrder {
			limits = []int{0, 1000} // one page: no StartAfter inside these keys
		}
		for _, limit := range limits {
			got := listAll(t, s, c.prefix, c.after, limit)
			if !slices.Equal(keysOf(got), want) {
				t.Errorf("List(prefix %q, after %q, limit %d) =\n%q\nwant\n%q", c.prefix, c.after, limit, keysOf(got), want)
			}
		}
	}
	for _, a := range listAll(t, s, p, "", 0) {
		h, err := s.Head(t.Context(), a.Key)
		if err != nil {
			t.Fatalf("Head(%q): %v", a.Key, err)
		}
		if a.Size != int64(sizes[a.Key]) || a.ETag != h.ETag || (a.CRC32C != h.CRC32C && !(su.opts.ListNoCRC && a.CRC32C == 0)) || a.Size != h.Size {
			t.Errorf("List attrs of %q = %+v, Head = %+v, size %d", a.Key, a, h, sizes[a.Key])
		}
	}
}

func testListPagination(t *testing.T, s objectstore.Store, p string) {
	var keys []string
	for i := range 57 {
		// Mix depths so a filesystem backend walks several directories.
		k := fmt.Sprintf("%sk%02d", p, i)
		if i%3 == 0 {
			k = fmt.Sprintf("%sd%d/k%02d", p, i%4, i)
		}
		keys = append(keys, k)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	for _, k := range keys {
		wg.Go(func() {
			if _, err := s.Put(t.Context(), k, []byte(k), objectstore.Condition{}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Put: %v", err)
	}
	want := expectKeys(keys, p, "")
	for _, limit := range []int{1, 5, 56, 57, 58} {
		got := keysOf(listAll(t, s, p, "", limit))
		if !slices.Equal(got, want) {
			t.Errorf("paged List(limit %d) =\n%q\nwant\n%q", limit, got, want)
		}
	}
	page, err := s.List(t.Context(), objectstore.ListOptions{Prefix: p, Limit: 5})
	if err != nil || len(page.Objects) != 5 || page.Next == "" {
		t.Errorf("first page of 5 = %d objects, Next %q, %v; want 5 and a Next", len(page.Objects), page.Next, err)
	}
}

func testListAfterDelete(t *testing.T, s objectstore.Store, p string) {
	keys := []string{p + "a", p + "b/c", p + "b/d", p + "e"}
	for _, k := range keys {
		mustPut(t, s, k, []byte(k))
	}
	for _, k := range []string{p + "b/c", p + "b/d", p + "a"} {
		if err := s.Delete(t.Context(), k); err != nil {
			t.Fatalf("Delete(%q): %v", k, err)
		}
	}
	if got := keysOf(listAll(t, s, p, "", 0)); !slices.Equal(got, []string{p + "e"}) {
		t.Errorf("List after delete = %q, want [%q]", got, p+"e")
	}
	// A deleted "directory" can be written again.
	mustPut(t, s, p+"b/c", []byte("again"))
	if got := keysOf(listAll(t, s, p, "", 0)); !slices.Equal(got, []string{p + "b/c", p + "e"}) {
		t.Errorf("List after re-put = %q", got)
	}
}

func testIterator(t *testing.T, s objectstore.Store, p string) {
	var keys []string
	for i := range 25 {
		k := fmt.Sprintf("%si/%03d", p, i)
		keys = append(keys, k)
		mustPut(t, s, k, nil)
	}
	var got []string
	for a, err := range objectstore.All(t.Context(), s, p+"i/") {
		if err != nil {
			t.Fatalf("All: %v", err)
		}
		got = append(got, a.Key)
	}
	if !slices.Equal(got, keys) {
		t.Errorf("All = %q, want %q", got, keys)
	}
}

// testListWhileWriting lists while another goroutine writes new keys (in
// new directories too) and deletes old ones: every listing is strictly
// sorted and holds every key whose Put returned before the listing began
// and whose Delete had not begun when it ended.
func testListWhileWriting(t *testing.T, s objectstore.Store, p string) {
	const n = 100
	key := func(i int) string { return fmt.Sprintf("%sd%d/k%03d", p, i%7, i) }
	var (
		mu      sync.Mutex
		stable  = map[string]bool{} // put returned, delete not begun
		deleted = map[string]bool{} // delete begun
		done    = make(chan struct{})
		lists   int
		werr    error
		writers sync.WaitGroup
	)
	writers.Go(func() {
		defer close(done)
		for i := range n {
			if _, err := s.Put(t.Context(), key(i), []byte("x"), objectstore.Condition{}); err != nil {
				werr = err
				return
			}
			mu.Lock()
			stable[key(i)] = true
			if i%3 == 2 {
				delete(stable, key(i-2))
				deleted[key(i-2)] = true
			}
			mu.Unlock()
			if i%3 == 2 {
				if err := s.Delete(t.Context(), key(i-2)); err != nil {
					werr = err
					return
				}
			}
		}
	})
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true // one last listing after the writer ends
		case <-time.After(time.Millisecond):
		}
		mu.Lock()
		want := make([]string, 0, len(stable))
		for k := range stable {
			want = append(want, k)
		}
		mu.Unlock()
		got := keysOf(listAll(t, s, p, "", 17))
		lists++
		mu.Lock()
		want = slices.DeleteFunc(want, func(k string) bool { return deleted[k] })
		mu.Unlock()
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Fatalf("listing not strictly sorted: %q then %q", got[i-1], got[i])
			}
		}
		for _, k := range want {
			if _, ok := slices.BinarySearch(got, k); !ok {
				t.Fatalf("listing %d misses %q, written before it began", lists, k)
			}
		}
	}
	writers.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
	t.Logf("%d listings during %d puts", lists, n)
}

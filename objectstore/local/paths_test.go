package local

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
)

func TestEscapeSegment(t *testing.T) {
	tests := []struct{ seg, want string }{
		{"abc-1.arrow", "abc-1.arrow"},
		{"a b", "a%20b"},
		{"a~", "a%7E"},
		{"a+", "a%2B"},
		{"%", "%25"},
		{"é", "%C3%A9"},
		{".hidden", ".hidden"},
		{"Manifest", "%4Danifest"},
	}
	for _, tt := range tests {
		if got := escapeSegment(tt.seg); got != tt.want {
			t.Errorf("escapeSegment(%q) = %q, want %q", tt.seg, got, tt.want)
		}
		if got, ok := unescapeName(tt.want); !ok || got != tt.seg {
			t.Errorf("unescapeName(%q) = %q, %v; want %q", tt.want, got, ok, tt.seg)
		}
	}
	for _, name := range []string{"", "%61", "%2b", "A", "%2", "a%", "a~", "a+", "a b", "%zz"} {
		if got, ok := unescapeName(name); ok {
			t.Errorf("unescapeName(%q) = %q, want rejection", name, got)
		}
	}
}

// decodePath reverses objectPath the way List does.
func decodePath(path string) (string, bool) {
	comps := strings.Split(path, string(filepath.Separator))
	var key, seg strings.Builder
	for i, c := range comps {
		last := i == len(comps)-1
		switch {
		case last && strings.HasSuffix(c, string(objectMark)):
			c = strings.TrimSuffix(c, string(objectMark))
		case !last && strings.HasSuffix(c, string(partMark)):
			s, ok := unescapeName(strings.TrimSuffix(c, string(partMark)))
			if !ok {
				return "", false
			}
			seg.WriteString(s)
			continue
		case last:
			return "", false
		}
		s, ok := unescapeName(c)
		if !ok {
			return "", false
		}
		seg.WriteString(s)
		key.WriteString(seg.String())
		seg.Reset()
		if !last {
			key.WriteByte('/')
		}
	}
	return key.String(), true
}

func FuzzObjectPath(f *testing.F) {
	for _, k := range []string{"a", "a/b", "catalog/buckets/my-bucket", "data/x/manifest/00000000000000000001",
		"a b/c~/d+", "é/日本/%", strings.Repeat("s", 500) + "/" + strings.Repeat("%", 300), "../x", "a/./b", ".x/..y"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if objectstore.ValidateKey(key) != nil {
			return
		}
		p := objectPath(key)
		if !filepath.IsLocal(p) || filepath.Clean(p) != p {
			t.Fatalf("objectPath(%q) = %q escapes the objects directory", key, p)
		}
		for _, c := range strings.Split(p, string(filepath.Separator)) {
			if len(c) > 255 || c == "." || c == ".." {
				t.Fatalf("objectPath(%q) has component %q", key, c)
			}
		}
		if got, ok := decodePath(p); !ok || got != key {
			t.Fatalf("objectPath(%q) = %q decodes to %q, %v", key, p, got, ok)
		}
	})
}

func TestPrefixDir(t *testing.T) {
	tests := []struct{ prefix, dir, keyPrefix string }{
		{"", "", ""},
		{"abc", "", ""},
		{"a/", "a", "a/"},
		{"a/b/c", filepath.Join("a", "b"), "a/b/"},
		{"a b/x", "a%20b", "a b/"},
		{"../x", "", ""},
		{"a//b", "", ""},
	}
	for _, tt := range tests {
		dir, kp := prefixDir(tt.prefix)
		if dir != tt.dir || kp != tt.keyPrefix {
			t.Errorf("prefixDir(%q) = %q, %q; want %q, %q", tt.prefix, dir, kp, tt.dir, tt.keyPrefix)
		}
	}
}

package objectstore

import (
	"context"
	"fmt"
	"strings"
)

// Prefixed is a Store whose keys live under a fixed prefix of another
// Store. See WithPrefix.
type Prefixed struct {
	s      Store
	prefix string
}

var _ Store = (*Prefixed)(nil)

// WithPrefix returns a Store that keeps every key k of its callers as
// prefix+k in s. Keys in results (Attrs.Key, Page.Next) never include the
// prefix. Callers' keys are validated on their own, so "" and "../x" stay
// invalid whatever the prefix. The prefix usually ends in "/"; prefix+"k"
// must be a valid key.
func WithPrefix(s Store, prefix string) *Prefixed {
	return &Prefixed{s: s, prefix: prefix}
}

func (p *Prefixed) key(key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	full := p.prefix + key
	if err := ValidateKey(full); err != nil {
		return "", fmt.Errorf("key %q… under prefix %q: %w", key[:min(len(key), 64)], p.prefix, err)
	}
	return full, nil
}

func (p *Prefixed) strip(a Attrs) Attrs {
	a.Key = strings.TrimPrefix(a.Key, p.prefix)
	return a
}

// Get reads prefix+key.
func (p *Prefixed) Get(ctx context.Context, key string) ([]byte, Attrs, error) {
	k, err := p.key(key)
	if err != nil {
		return nil, Attrs{}, err
	}
	b, a, err := p.s.Get(ctx, k)
	return b, p.strip(a), err
}

// GetRange reads a range of prefix+key.
func (p *Prefixed) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, Attrs, error) {
	k, err := p.key(key)
	if err != nil {
		return nil, Attrs{}, err
	}
	b, a, err := p.s.GetRange(ctx, k, offset, length)
	return b, p.strip(a), err
}

// Head returns the attributes of prefix+key.
func (p *Prefixed) Head(ctx context.Context, key string) (Attrs, error) {
	k, err := p.key(key)
	if err != nil {
		return Attrs{}, err
	}
	a, err := p.s.Head(ctx, k)
	return p.strip(a), err
}

// Put writes prefix+key.
func (p *Prefixed) Put(ctx context.Context, key string, data []byte, cond Condition) (Attrs, error) {
	k, err := p.key(key)
	if err != nil {
		return Attrs{}, err
	}
	a, err := p.s.Put(ctx, k, data, cond)
	return p.strip(a), err
}

// Delete removes prefix+key.
func (p *Prefixed) Delete(ctx context.Context, key string) error {
	k, err := p.key(key)
	if err != nil {
		return err
	}
	return p.s.Delete(ctx, k)
}

// List lists keys under prefix+opts.Prefix; StartAfter and Next are in the
// caller's key space.
func (p *Prefixed) List(ctx context.Context, opts ListOptions) (Page, error) {
	inner := ListOptions{Prefix: p.prefix + opts.Prefix, Limit: opts.Limit}
	if opts.StartAfter != "" {
		inner.StartAfter = p.prefix + opts.StartAfter
	}
	page, err := p.s.List(ctx, inner)
	if err != nil {
		return Page{}, err
	}
	for i, a := range page.Objects {
		page.Objects[i] = p.strip(a)
	}
	page.Next = strings.TrimPrefix(page.Next, p.prefix)
	return page, nil
}

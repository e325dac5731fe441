package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
)

const deleteHelp = `Deletes the vectors with the given keys, every vector of the index with
--all, or every vector whose metadata matches a filter with --filter JSON
(nothing is deleted without KEYs, --all or --filter).

With KEYs, the keys that do not exist are reported and the count is of the
vectors that existed. --all lists every key first (ListVectors, following
all pages), then deletes them in DeleteVectors batches of 500; vectors put
while it runs may survive it. --filter (a vectorbucket extension, the
QueryVectors filter language) deletes all matches in one atomic request.`

func runDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf clientFlags
	var ixf indexFlags
	var out outputFlag
	var all, quiet bool
	var filter string
	fs := newFlags("delete", "delete --bucket B --index I (KEY... | --all | --filter JSON)", deleteHelp, stdout, stderr)
	cf.add(fs)
	ixf.add(fs)
	out.add(fs)
	fs.BoolVar(&all, "all", false, "delete every vector of the index")
	fs.BoolVar(&quiet, "quiet", false, "--all: no progress on stderr")
	fs.StringVar(&filter, "filter", "", "delete every vector whose metadata matches this filter (JSON)")
	keys, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	if err := out.check(stderr, "delete"); err != nil {
		return err
	}
	ref, err := ixf.ref(stderr, "delete")
	if err != nil {
		return err
	}
	if err := checkDeleteFilter(stderr, filter, all, len(keys) > 0); err != nil {
		return err
	}
	switch {
	case filter != "":
	case all && len(keys) > 0:
		return usagef(stderr, "delete", "give KEYs or --all, not both")
	case !all && len(keys) == 0:
		return usagef(stderr, "delete", "no KEY given (to delete every vector of %s, say --all)", ixf.String())
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var deleted int
	var notFound []string
	if filter != "" {
		deleted, err = c.DeleteVectorsMatching(ctx, ref, json.RawMessage(filter))
	} else if all {
		progress := stderr
		if quiet || out.json() {
			progress = io.Discard
		}
		deleted, err = deleteAll(ctx, c, ref, progress)
	} else {
		keys = uniq(keys)
		var got []api.GetOutputVector
		if got, err = getAll(ctx, c, ref, keys, false, false, nil); err == nil {
			notFound = missing(keys, got)
			present := make([]string, 0, len(got))
			for _, v := range got {
				present = append(present, v.Key)
			}
			deleted, err = deleteKeys(ctx, c, ref, present, nil)
		}
	}
	if err != nil {
		return friendly(fmt.Errorf("%w\n%d vectors were deleted before the error", err, deleted), cf.endpoint)
	}
	if out.json() {
		if notFound == nil {
			notFound = []string{}
		}
		return printJSON(stdout, map[string]any{"vectorBucketName": ixf.bucket, "indexName": ixf.index, "deleted": deleted, "notFound": notFound})
	}
	t := newTable(stdout, "INDEX", "DELETED", "NOT FOUND")
	t.row(ixf.String(), deleted, len(notFound))
	if err := t.flush(); err != nil {
		return err
	}
	if len(notFound) > 0 {
		fmt.Fprintf(stderr, "not found: %s\n", shorten(fmt.Sprint(notFound), 200))
	}
	return nil
}

func uniq(keys []string) []string {
	seen := make(map[string]bool, len(keys))
	out := keys[:0:0]
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// deleteKeys deletes keys in batches of at most api.MaxDeleteVectors and
// returns how many were deleted; after sends a progress line per batch when
// not nil.
func deleteKeys(ctx context.Context, c *client.Client, ref api.IndexRef, keys []string, after func(done int)) (int, error) {
	done := 0
	for chunk := range slices.Chunk(keys, api.MaxDeleteVectors) {
		if err := c.DeleteVectors(ctx, &api.DeleteVectorsRequest{IndexRef: ref, Keys: chunk}); err != nil {
			return done, err
		}
		done += len(chunk)
		if after != nil {
			after(done)
		}
	}
	return done, nil
}

// deleteAll lists every key of ref, then deletes them all.
func deleteAll(ctx context.Context, c *client.Client, ref api.IndexRef, progress io.Writer) (int, error) {
	var keys []string
	for v, err := range c.AllVectors(ctx, &api.ListVectorsRequest{IndexRef: ref}) {
		if err != nil {
			return 0, fmt.Errorf("list keys: %w", err)
		}
		keys = append(keys, v.Key)
	}
	fmt.Fprintf(progress, "deleting %d vectors from %s/%s\n", len(keys), ref.VectorBucketName, ref.IndexName)
	return deleteKeys(ctx, c, ref, keys, func(done int) {
		if done < len(keys) {
			fmt.Fprintf(progress, "\rdeleted %d of %d", done, len(keys))
		} else if len(keys) > api.MaxDeleteVectors {
			fmt.Fprintf(progress, "\rdeleted %d of %d\n", done, len(keys))
		}
	})
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

// errUnrepairable makes `vectorbucket scrub` exit non-zero when a pass found
// objects it could not restore to full redundancy.
var errUnrepairable = errors.New("scrub found unrepairable objects")

func runScrub(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const help = `Verifies every copy of every object on a multi-volume embedded store
(the directories "vectorbucket serve --data a,b,c" uses), rewrites missing,
stale or corrupt copies from healthy ones, refills a volume that came back
empty, and prints a report. Repairs take the same per-key locks as the
server, so it is safe to run while a server uses the volumes.

Exits 1 when some object has no verifiable copy of its newest version.`
	var (
		data   string
		rate   int64
		prefix string
		asJSON bool
		fs     = newFlags("scrub", "scrub --data DIR1,DIR2,... [flags]", help, stdout, stderr)
	)
	fs.StringVar(&data, "data", "./data", "comma-separated volume directories")
	fs.Int64Var(&rate, "rate", 0, "cap on bytes read and written per second (0: no cap)")
	fs.StringVar(&prefix, "prefix", "", "only scrub keys with this prefix")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	dirs, err := dataDirs(data)
	if err != nil {
		return err
	}
	st, err := volumes.Open(ctx, dirs, volumes.Options{})
	if err != nil {
		return fmt.Errorf("open volumes: %w", err)
	}
	defer st.Close()
	rep, err := st.Scrub(ctx, volumes.ScrubOptions{BytesPerSecond: rate, Prefix: prefix})
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if encErr := enc.Encode(rep); encErr != nil {
			return encErr
		}
	} else {
		fmt.Fprintf(stdout, "scrub of %s: %s\n", strings.Join(dirs, ","), rep)
	}
	if err != nil {
		return fmt.Errorf("scrub: %w", err)
	}
	if rep.Unrepairable > 0 {
		return errUnrepairable
	}
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/vectorbucket/vectorbucket/api"
	"github.com/vectorbucket/vectorbucket/api/client"
)

// runSnapshots is the snapshots command: the snapshot operations, which are
// vectorbucket extensions (docs/extensions.md).
func runSnapshots(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const help = `Manage the snapshots of a vector index (a vectorbucket extension).

  snapshots create --bucket B --index I NAME
  snapshots list --bucket B --index I
  snapshots delete --bucket B --index I NAME
  snapshots restore --bucket B --index I NAME

A snapshot names the index's newest generation; "get", "list" and "query"
read as of it with --snapshot NAME. "restore" commits a new generation
with the snapshot's contents (older generations and snapshots stay, so a
restore can itself be undone by restoring a snapshot taken before it).
Names are 1-63 characters of a-z, 0-9, '.', '_' and '-'.`
	var cf clientFlags
	var ix indexFlags
	var out outputFlag
	fs := newFlags("snapshots", "snapshots create|list|delete|restore --bucket B --index I [NAME]", help, stdout, stderr)
	cf.add(fs)
	ix.add(fs)
	out.add(fs)
	sub, pos, err := subcommand(fs, "snapshots", args, []string{"create", "list", "delete", "restore"}, stdout, stderr)
	if err != nil {
		return err
	}
	cmd := "snapshots " + sub
	if err := out.check(stderr, cmd); err != nil {
		return err
	}
	ref, err := ix.ref(stderr, cmd)
	if err != nil {
		return err
	}
	var name string
	if sub != "list" {
		if name, err = oneName(stderr, cmd, pos); err != nil {
			return err
		}
		if why := api.CheckSnapshotName(name); why != "" {
			return usagef(stderr, cmd, "snapshot name %q %s", name, why)
		}
	} else if len(pos) > 0 {
		return usagef(stderr, cmd, "unexpected argument %q", pos[0])
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		err = snapshotCreate(ctx, c, ref, name, out, stdout)
	case "list":
		err = snapshotList(ctx, c, ref, out, stdout, stderr)
	case "delete":
		err = c.DeleteSnapshot(ctx, &api.DeleteSnapshotRequest{IndexRef: ref, SnapshotName: name})
		if err == nil {
			if out.json() {
				err = printJSON(stdout, map[string]any{"deleted": name})
			} else {
				fmt.Fprintf(stdout, "deleted snapshot %s of %s\n", name, ix.String())
			}
		}
	default:
		err = snapshotRestore(ctx, c, ref, name, out, stdout)
	}
	return friendly(err, cf.endpoint)
}

func snapshotTable(w io.Writer, sns ...api.Snapshot) error {
	t := newTable(w, "NAME", "CREATED", "GENERATION", "VECTORS")
	for _, s := range sns {
		t.row(s.Name, timeCell(s.CreatedAt), s.Generation, s.VectorCount)
	}
	return t.flush()
}

func snapshotCreate(ctx context.Context, c *client.Client, ref api.IndexRef, name string, out outputFlag, stdout io.Writer) error {
	res, err := c.CreateSnapshot(ctx, &api.CreateSnapshotRequest{IndexRef: ref, SnapshotName: name})
	if err != nil {
		return err
	}
	if out.json() {
		return printJSON(stdout, res.Snapshot)
	}
	return snapshotTable(stdout, res.Snapshot)
}

func snapshotList(ctx context.Context, c *client.Client, ref api.IndexRef, out outputFlag, stdout, stderr io.Writer) error {
	all := []api.Snapshot{}
	in := &api.ListSnapshotsRequest{IndexRef: ref}
	for {
		page, err := c.ListSnapshots(ctx, in)
		if err != nil {
			return err
		}
		all = append(all, page.Snapshots...)
		if page.NextToken == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	if out.json() {
		return printJSON(stdout, all)
	}
	if len(all) == 0 {
		fmt.Fprintf(stderr, "no snapshots of %s/%s\n", ref.VectorBucketName, ref.IndexName)
		return nil
	}
	return snapshotTable(stdout, all...)
}

func snapshotRestore(ctx context.Context, c *client.Client, ref api.IndexRef, name string, out outputFlag, stdout io.Writer) error {
	res, err := c.RestoreSnapshot(ctx, &api.RestoreSnapshotRequest{IndexRef: ref, SnapshotName: name})
	if err != nil {
		return err
	}
	if out.json() {
		return printJSON(stdout, map[string]any{"snapshot": name, "generation": res.Generation})
	}
	fmt.Fprintf(stdout, "restored %s/%s to snapshot %s as generation %d\n", ref.VectorBucketName, ref.IndexName, name, res.Generation)
	return nil
}

// snapshotFlag is the --snapshot NAME flag of get, list and query.
type snapshotFlag struct{ name string }

func (s *snapshotFlag) add(fs *flag.FlagSet) {
	fs.StringVar(&s.name, "snapshot", "", "read as of this snapshot of the index (see the snapshots command)")
}

// read is the Vectorbucket field of a read as of the snapshot (nil: the
// newest generation).
func (s snapshotFlag) read() *api.ReadExtension {
	if s.name == "" {
		return nil
	}
	return client.AsOfSnapshot(s.name)
}

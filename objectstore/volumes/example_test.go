package volumes_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/volumes"
)

// A store on three volumes survives losing one of them; a scrub pass
// refills it when it comes back empty.
func Example() {
	ctx := context.Background()
	root, err := os.MkdirTemp("", "volumes-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	disks := []string{filepath.Join(root, "disk1"), filepath.Join(root, "disk2"), filepath.Join(root, "disk3")}

	s, err := volumes.Open(ctx, disks, volumes.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Put(ctx, "greeting", []byte("hello"), objectstore.CreateOnly()); err != nil {
		log.Fatal(err)
	}

	os.RemoveAll(disks[1]) // a disk dies
	b, _, err := s.Get(ctx, "greeting")
	fmt.Println(string(b), err)

	os.Mkdir(disks[1], 0o755) // a new, empty disk
	rep, err := s.Scrub(ctx, volumes.ScrubOptions{})
	fmt.Println("repaired", rep.Repaired, "refilled", rep.Refilled, err)
	// Output:
	// hello <nil>
	// repaired 1 refilled [1] <nil>
}

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/vectorbucket/vectorbucket/api"
)

// The output formats of the client commands.
const (
	outTable = "table"
	outJSON  = "json"
	outJSONL = "jsonl" // list only: one JSON object per line
)

// outputFlag is the --output (-o) flag of every client command.
type outputFlag struct {
	format  string
	allowed []string
}

// add registers --output and its short form -o; extra lists formats beyond
// table and json that the command also accepts.
func (o *outputFlag) add(fs *flag.FlagSet, extra ...string) {
	o.allowed = append([]string{outTable, outJSON}, extra...)
	usage := "output format: " + strings.Join(o.allowed, ", ") + " (table: aligned columns for people; json: one JSON document)"
	fs.StringVar(&o.format, "output", outTable, usage)
	fs.StringVar(&o.format, "o", outTable, "short for --output")
}

// check reports an unknown format as a usage error.
func (o *outputFlag) check(stderr io.Writer, cmd string) error {
	if !slices.Contains(o.allowed, o.format) {
		return usagef(stderr, cmd, "--output %q is not valid; use %s", o.format, strings.Join(o.allowed, "|"))
	}
	return nil
}

func (o *outputFlag) json() bool { return o.format == outJSON }

// usageError is a command line the client commands refuse before sending
// any request. It has been printed to stderr; main exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Is makes errors.Is(err, errUsage) true.
func (e *usageError) Is(target error) bool { return target == errUsage }

// usagef prints "vectorbucket CMD: MSG" and a pointer to --help to stderr
// and returns a usage error carrying MSG.
func usagef(stderr io.Writer, cmd, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(stderr, "vectorbucket %s: %s\nRun \"vectorbucket %s --help\" for usage.\n", cmd, msg, strings.Fields(cmd)[0])
	return &usageError{msg}
}

// parseArgs parses args with flags and positional arguments in any order
// ("buckets create shop --output json"); everything after "--" is
// positional. It returns the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	var tail []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, tail = args[:i], args[i+1:]
	}
	var pos []string
	for {
		if err := parse(fs, args, stdout); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return append(pos, tail...), nil
}

// table writes aligned columns under a header line.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(toAny(header)...)
	return t
}

func toAny(s []string) []any {
	a := make([]any, len(s))
	for i, v := range s {
		a[i] = v
	}
	return a
}

// row writes one line; cells are formatted with %v, and tabs and newlines
// in them become spaces so that they cannot break the columns.
func (t *table) row(cells ...any) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(t.tw, "\t")
		}
		s := fmt.Sprint(c)
		s = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
		io.WriteString(t.tw, s)
	}
	io.WriteString(t.tw, "\n")
}

func (t *table) flush() error { return t.tw.Flush() }

// printJSON writes v as one indented JSON document.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// cellMax is the widest a metadata or data cell of a table gets.
const cellMax = 60

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// metadataCell renders metadata compactly for a table ("-" when none).
func metadataCell(m api.Metadata) string {
	if len(m) == 0 {
		return "-"
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "?"
	}
	return shorten(string(b), cellMax)
}

// vectorCell renders the first elements of a vector and its dimension.
func vectorCell(d *api.VectorData) string {
	if d == nil {
		return "-"
	}
	var sb strings.Builder
	sb.WriteByte('[')
	for i, f := range d.Float32 {
		if sb.Len() > cellMax-20 {
			fmt.Fprintf(&sb, "… (%d dims)", len(d.Float32))
			break
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.FormatFloat(float64(f), 'g', 4, 32))
	}
	sb.WriteByte(']')
	return sb.String()
}

// friendly adds a hint to errors that mean the server is not there.
func friendly(err error, endpoint string) error {
	var op *net.OpError
	if err != nil && errors.As(err, &op) && op.Op == "dial" {
		return fmt.Errorf("%w\n(no server at %s: start one with \"vectorbucket serve\", or point --endpoint / VECTORBUCKET_ENDPOINT at it)", err, endpoint)
	}
	return err
}

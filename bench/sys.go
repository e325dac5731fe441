package bench

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// loadAvg returns the first three fields of /proc/loadavg ("" elsewhere).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// memory returns VmRSS and VmHWM of this process in bytes, from
// /proc/self/status (zeros elsewhere).
func memory() (rss, hwm int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	return parseStatus(b)
}

func parseStatus(b []byte) (rss, hwm int64) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		if len(f) > 2 && f[2] == "kB" {
			n *= 1024
		}
		switch f[0] {
		case "VmRSS:":
			rss = n
		case "VmHWM:":
			hwm = n
		}
	}
	return rss, hwm
}

// machine describes the CPU from /proc/cpuinfo.
func machine() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// bar is a progress bar on w, or a no-op when w is nil.
type bar struct {
	p    *progressbar.ProgressBar
	stop chan struct{} // spinners: stops the ticking goroutine
	once *sync.Once
}

func newBar(w io.Writer, n int, desc string) bar {
	if w == nil {
		return bar{}
	}
	return bar{p: progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(30), progressbar.OptionOnCompletion(func() { io.WriteString(w, "\n") }))}
}

// newSpinner is a progress indicator for work of unknown length.
func newSpinner(w io.Writer, desc string) bar {
	if w == nil {
		return bar{}
	}
	b := bar{p: progressbar.NewOptions(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionSpinnerType(14), progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { io.WriteString(w, "\n") }))}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				b.p.Add(1)
			}
		}
	}()
	b.stop, b.once = stop, new(sync.Once)
	return b
}

func (b bar) Add(n int) {
	if b.p != nil {
		b.p.Add(n)
	}
}

func (b bar) Set(n int) {
	if b.p != nil {
		b.p.Set(n)
	}
}

func (b bar) Finish() {
	if b.stop != nil {
		b.once.Do(func() { close(b.stop) })
	}
	if b.p != nil {
		b.p.Finish()
	}
}

// MachineName describes the CPU from /proc/cpuinfo, for reports written
// outside this package.
func MachineName() string { return machine() }

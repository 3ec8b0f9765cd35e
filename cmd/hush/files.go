package main

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows a byte progress bar on a terminal and nothing otherwise.
type progress struct {
	bar   *progressbar.ProgressBar
	last  time.Time
	total int64
}

func (c *cli) newProgress(desc string, total int64) *progress {
	p := &progress{total: total}
	f, ok := c.io.err.(*os.File)
	if c.quiet || c.cfg.JSON || !ok || !term.IsTerminal(int(f.Fd())) {
		return p
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(c.io.err),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return p
}

func (p *progress) set(n int64) {
	if p == nil || p.bar == nil {
		return
	}
	if now := time.Now(); now.Sub(p.last) > 50*time.Millisecond {
		p.last = now
		p.bar.Set64(n)
	}
}

func (p *progress) finish() {
	if p != nil && p.bar != nil {
		p.bar.Finish()
	}
}

func fileSize(f *os.File) int64 {
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		return fi.Size()
	}
	return -1
}

// Command hushgen writes a benchmark scenario for hush: six suppression
// lists (60M entries at -scale 1) and a campaign file, plus scenario.json
// describing them. See bench/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/hushcrm/hush/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hushgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory to write the scenario into (required)")
	seed := fs.Uint64("seed", bench.DefaultSeed, "random seed: the same seed gives the same files")
	rows := fs.Int64("rows", bench.DefaultRows, "campaign rows")
	scale := fs.Float64("scale", 1, "list sizes relative to the target scenario (1 = 60M entries in six lists)")
	hit := fs.Float64("hit", bench.DefaultHit, "share of campaign rows made to hit some list")
	invalid := fs.Float64("invalid", bench.DefaultInvalid, "share of campaign rows with a key hush must reject")
	workers := fs.Int("workers", 0, "generator goroutines (default GOMAXPROCS)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: hushgen -dir DIR [-seed N] [-rows N] [-scale F] [-hit F] [-invalid F]")
		return 2
	}
	sc := bench.NewScenario(*seed, *rows, *scale, *hit, *invalid)
	fmt.Fprintf(stderr, "hushgen: %d campaign rows, %d list entries in %d lists -> %s\n", sc.Rows, sc.TotalEntries(), len(sc.Lists), *dir)
	rep, err := bench.Generate(ctx, *dir, sc, *workers, func(f bench.FileReport) {
		fmt.Fprintf(stderr, "  %-16s %11d lines %8.1f MB %6.1f s %6.2f M lines/s\n", f.Name, f.Lines, float64(f.Bytes)/1e6, f.Seconds, float64(f.Lines)/f.Seconds/1e6)
	})
	if err != nil {
		fmt.Fprintf(stderr, "hushgen: %v\n", err)
		return 1
	}
	c := rep.Campaign
	fmt.Fprintf(stdout, "wrote %.2f GB in %.1f s (%d workers): %d rows, %d made to hit a list (%.1f%%), %d invalid (%.2f%%)\n",
		float64(rep.Bytes)/1e9, rep.Seconds, rep.Workers, c.Rows, c.Hits, pct(c.Hits, c.Rows), c.Invalid, pct(c.Invalid, c.Rows))
	return 0
}

func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

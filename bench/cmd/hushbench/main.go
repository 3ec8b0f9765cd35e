// Command hushbench runs hush's benchmarks against real processes.
//
//	hushbench scrub  -dir DIR [-rows N -seed N -scale F] [-hush PATH] [-peers pg,duckdb] [-runs 3]
//	hushbench import -numbers 250000000 [-dir DIR] [-hush PATH]
//	taskset -c 1 hushbench http [-lists 10 -entries 1000000 -conns 32 -duration 10s -runs 3 -import 50000000]
//	hushbench rfm -orders 100000000 -customers 10000000 [-dir DIR] [-hush PATH] [-peers duckdb,pandas] [-runs 3]
//
// scrub generates a scenario (if DIR has none), imports its six lists into
// a fresh hush data dir, scrubs the campaign with hush and with each peer
// -runs times, checks that every tool put the same rows into clean,
// suppressed and rejected, and prints median times and ratios. import
// measures a national-registry import of -numbers numbers: time, rows/s,
// hush's peak RSS, data dir size, and the restart time after it. See
// bench/README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: hushbench scrub|import|http|rfm|fleet [flags]  (-h for flags)")
		return 2
	}
	var err error
	switch args[0] {
	case "scrub":
		err = runScrub(ctx, args[1:], stdout, stderr)
	case "import":
		err = runImport(ctx, args[1:], stdout, stderr)
	case "http":
		err = runHTTP(ctx, args[1:], stdout, stderr)
	case "rfm":
		err = runRFMBench(ctx, args[1:], stdout, stderr)
	case "fleet":
		err = runFleet(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "hushbench: unknown command %q (want scrub, import, http, rfm or fleet)\n", args[0])
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "hushbench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

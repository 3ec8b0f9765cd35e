package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// procResult is one finished child process.
type procResult struct {
	Wall   float64 // seconds
	CPU    float64 // user+system seconds of the child
	MaxRSS int64   // bytes, from the child's rusage
	Stdout []byte
}

// runProc runs prog and waits for it, timing it and taking its peak RSS.
// stderr goes to log (hush's progress and warnings) as well as into errors.
func runProc(ctx context.Context, log io.Writer, prog string, args ...string) (*procResult, error) {
	cmd := exec.CommandContext(ctx, prog, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(&stderr, log)
	t0 := time.Now()
	err := cmd.Run()
	res := &procResult{Wall: time.Since(t0).Seconds(), Stdout: stdout.Bytes()}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSS = ru.Maxrss * 1024 // Linux reports KiB
		}
		res.CPU = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	}
	if err != nil {
		return res, fmt.Errorf("%s %s: %w\n%s", filepath.Base(prog), strings.Join(args, " "), err, tailString(stderr.String(), 3000))
	}
	return res, nil
}

// hushCmd runs hush with the flags every command takes.
type hushCmd struct {
	bin, data, region string
	log               io.Writer
	// state, when set, replaces --data DIR (the Redis flags of a fleet).
	state []string
}

func (h hushCmd) stateFlags() []string {
	if h.state != nil {
		return h.state
	}
	return []string{"--data", h.data}
}

func (h hushCmd) run(ctx context.Context, args ...string) (*procResult, error) {
	args = append(append(args, h.stateFlags()...), "--region", h.region, "--json")
	return runProc(ctx, h.log, h.bin, args...)
}

// runJSON runs hush and decodes its --json output into v.
func (h hushCmd) runJSON(ctx context.Context, v any, args ...string) (*procResult, error) {
	res, err := h.run(ctx, args...)
	if err != nil {
		return res, err
	}
	if err := json.Unmarshal(res.Stdout, v); err != nil {
		return res, fmt.Errorf("hush %s: --json output %q: %w", args[0], tailString(string(res.Stdout), 500), err)
	}
	return res, nil
}

// buildHush builds ./cmd/hush of the module around the working directory
// into dir.
func buildHush(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the hush module: run from the repository or pass -hush PATH")
	}
	bin := filepath.Join(dir, "hush")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/hush")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/hush: %w\n%s", err, out)
	}
	return bin, nil
}

// dirSize adds up the sizes of the regular files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func tailString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// machine describes where the numbers were taken: the box is shared, so
// the load average at the start says how much to trust them.
type machine struct {
	CPUs    int    `json:"cpus"`
	Go      string `json:"go"`
	LoadAvg string `json:"loadavg"`
	Started string `json:"started"`
	Hush    string `json:"hush"`
}

func describeMachine(ctx context.Context, hush string) machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), Started: time.Now().UTC().Format(time.RFC3339)}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if out, err := exec.CommandContext(ctx, hush, "version").Output(); err == nil {
		m.Hush = strings.TrimSpace(string(out))
	}
	return m
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func mb(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

//go:build linux

package httpapi

import (
	"runtime"
	"syscall"
	"testing"
)

// An import's goroutine runs on a thread of lowered priority; the
// caller's thread keeps its own.
func TestLowerThreadPriority(t *testing.T) {
	before, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() {
		lowerThreadPriority()
		p, _ := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
		got <- p
	}()
	lowered := <-got
	// The kernel's getpriority returns 20 - nice.
	if lowered != 20-importNice {
		t.Fatalf("thread priority %d, want %d (nice %d)", lowered, 20-importNice, importNice)
	}
	if now, _ := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid()); now != before {
		t.Fatalf("the test goroutine's own thread changed priority: %d, was %d", now, before)
	}
}

// yieldCore returns on a lowered import thread as on a normal one, and
// changes neither thread's priority.
func TestYieldCoreKeepsPriority(t *testing.T) {
	for _, lowered := range []bool{false, true} {
		got := make(chan int, 1)
		go func() {
			if lowered {
				lowerThreadPriority()
			} else {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			before, _ := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
			for range 1000 {
				yieldCore()
			}
			after, _ := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
			got <- after - before
		}()
		if d := <-got; d != 0 {
			t.Fatalf("lowered=%v: priority moved by %d across yields", lowered, d)
		}
	}
}

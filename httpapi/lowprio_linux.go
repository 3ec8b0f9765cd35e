//go:build linux

package httpapi

import (
	"runtime"
	"syscall"
)

// importNice is the scheduling niceness of an import's threads. At 10 the
// kernel gives a check thread about nine times the CPU of an import
// thread on a shared core, and a check that wakes preempts the import at
// once, so checks keep their latency while an import runs; an import on
// an otherwise idle server runs at full speed (niceness only matters when
// both want the core).
const importNice = 10

// lowerThreadPriority pins the calling goroutine to its thread and lowers
// that thread's priority. The goroutine never unlocks it: when it exits,
// the runtime ends the thread with it, so no lowered thread ever runs
// other work.
func lowerThreadPriority() {
	runtime.LockOSThread()
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), importNice)
}

// yieldCore hands the core to any other thread that is ready to run: a
// check's thread that a request just woke runs now instead of when the
// import thread's time slice ends (up to a 4 ms tick: the kernel protects
// a running thread's slice from a waking one, whatever their niceness).
// With nothing else ready it returns at once (well under a microsecond).
// A raw system call: it never blocks, so the runtime need not hand the
// goroutine's P to another thread meanwhile.
func yieldCore() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }

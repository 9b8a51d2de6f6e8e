package server

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// lowerSaverPriority pins the calling goroutine to its OS thread and
// raises that thread's nice value, so a background save or rewrite
// competes less with the event loops for the CPU (a forked Redis child is
// an ordinary process instead). The goroutine must not unlock the thread:
// it ends with the save, and Go then retires the thread.
func lowerSaverPriority() {
	runtime.LockOSThread()
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 10)
}

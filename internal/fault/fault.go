// Package fault kills the process at named points of its work when the
// environment variable FLOTILLA_FAULT names one: crash-recovery tests
// (as etcd's gofail points) stop a daemon exactly there, then check what
// its restart does. Unset, a point costs a string comparison.
package fault

import (
	"os"
	"syscall"
)

// Env names the point to stop at.
const Env = "FLOTILLA_FAULT"

var armed = os.Getenv(Env)

// Point kills the process (SIGKILL: no deferred work runs) when name is
// the armed point.
func Point(name string) {
	if armed != "" && armed == name {
		if err := syscall.Kill(os.Getpid(), syscall.SIGKILL); err != nil {
			os.Exit(137)
		}
		select {} // the signal is on its way
	}
}

package main

import (
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/internal/daemontest"
)

// A negative --gc-interval stops the hub at start, naming the flag; 0
// (GC off) starts it.
func TestGCIntervalFlag(t *testing.T) {
	base := []string{"-data-dir", t.TempDir(), "-listen", "127.0.0.1:0", "-http-listen", "127.0.0.1:0"}
	stderr, err := daemontest.RunMain(t, append(base, "-gc-interval", "-1s")...)
	if err == nil || !strings.Contains(stderr, "--gc-interval") {
		t.Errorf("-gc-interval -1s: err = %v, stderr does not name --gc-interval:\n%s", err, stderr)
	}
	daemontest.StopsOnSIGTERM(t, append(base, "-gc-interval", "0")...)
}

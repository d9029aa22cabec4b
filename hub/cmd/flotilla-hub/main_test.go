package main

import (
	"os"
	"testing"

	"github.com/flotilla-gitops/flotilla/internal/daemontest"
)

func TestMain(m *testing.M) {
	daemontest.MaybeRunMain(main)
	os.Exit(m.Run())
}

func TestStopsOnSIGTERM(t *testing.T) {
	daemontest.StopsOnSIGTERM(t, "-data-dir", t.TempDir(), "-listen", "127.0.0.1:0", "-http-listen", "127.0.0.1:0")
}

package main

import (
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/internal/daemontest"
)

// A render limit that cannot work stops the hub at start, naming its flag.
func TestRenderFlagsAreChecked(t *testing.T) {
	tests := map[string][]string{
		"--render-memory-limit": {"-render-memory-limit", "1MiB"},
		"--render-cpu-limit":    {"-render-cpu-limit", "0s"},
		"--render-timeout":      {"-render-timeout", "0s"},
		"--render-max-output":   {"-render-max-output", "100"},
		"--render-workers":      {"-render-workers", "0"},
		"render-memory-limit":   {"-render-memory-limit", "lots"},
	}
	for flag, args := range tests {
		t.Run(flag, func(t *testing.T) {
			stderr, err := daemontest.RunMain(t, append([]string{"-data-dir", t.TempDir(), "-listen", "127.0.0.1:0", "-http-listen", "127.0.0.1:0"}, args...)...)
			if err == nil || !strings.Contains(stderr, flag) {
				t.Errorf("%v: err = %v, stderr does not name %s:\n%s", args, err, flag, stderr)
			}
		})
	}
}

// Good render limits start the hub (their effect is tested in package hub
// and internal/renderworker).
func TestRenderFlagsStart(t *testing.T) {
	daemontest.StopsOnSIGTERM(t, "-data-dir", t.TempDir(), "-listen", "127.0.0.1:0", "-http-listen", "127.0.0.1:0",
		"-render-memory-limit", "512MiB", "-render-cpu-limit", "30s", "-render-max-output", "32MiB", "-render-workers", "2")
}

// --config-path and --config-revision without --config-repo would do
// nothing: the hub refuses to start, naming them.
func TestConfigFlagsNeedRepo(t *testing.T) {
	for _, f := range []string{"-config-path", "-config-revision"} {
		stderr, err := daemontest.RunMain(t, "-data-dir", t.TempDir(), "-listen", "127.0.0.1:0", "-http-listen", "127.0.0.1:0", f, "x")
		if err == nil || !strings.Contains(stderr, f+": needs -config-repo") {
			t.Errorf("%s alone: err = %v, stderr:\n%s", f, err, stderr)
		}
	}
}

// --version prints the stamped version and runs nothing.
func TestVersionFlag(t *testing.T) {
	out, err := daemontest.Output(t, "--version")
	if err != nil || !strings.HasPrefix(out, "flotilla-hub ") {
		t.Errorf("--version: %q %v", out, err)
	}
}

package main

import (
	"os"
	"strings"
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

// Every hub flag is documented in deploy/README.md.
func TestFlagsDocumented(t *testing.T) {
	usage, _ := daemontest.RunMain(t, "-h")
	if !strings.Contains(usage, "-admin-token-file") {
		t.Fatalf("-h printed no usage:\n%s", usage)
	}
	doc, err := os.ReadFile("../../../deploy/README.md")
	if err != nil {
		t.Fatal(err)
	}
	if missing := daemontest.Undocumented(usage, string(doc)); len(missing) > 0 {
		t.Errorf("flags not in deploy/README.md: %v", missing)
	}
}

package cli

import (
	"strings"
	"testing"
)

// `app get --hard-refresh` reaches the hub, which renders again (the
// controller's test counts the renders); `app terminate-op` of an
// application with nothing running is refused, naming it.
func TestHardRefreshAndTerminateOpVerbs(t *testing.T) {
	g, repo := startHub(t)
	must := mustRun(t, g)
	must("cluster", "add", "east")
	must("app", "create", "web", "--repo", repo, "--path", "web", "--dest-cluster", "east", "--dest-namespace", "shop")
	if out := must("app", "get", "web", "--hard-refresh"); !strings.Contains(out, "east") {
		t.Errorf("app get --hard-refresh:\n%s", out)
	}
	_, errOut, code := run(t, "", append(g, "app", "terminate-op", "web")...)
	if code != 1 || !strings.Contains(errOut, "FailedPrecondition") || !strings.Contains(errOut, "application web: no operation is running") {
		t.Errorf("terminate-op with nothing running: exit %d, %q", code, errOut)
	}
	_, errOut, code = run(t, "", append(g, "app", "terminate-op", "web", "--cluster", "west")...)
	if code != 1 || !strings.Contains(errOut, "NotFound") || !strings.Contains(errOut, "no target on cluster west") {
		t.Errorf("terminate-op of a cluster not targeted: exit %d, %q", code, errOut)
	}
}

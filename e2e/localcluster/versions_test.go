package localcluster

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The constants locate the cache directory and name the embedded stages'
// origin: they must match what build.sh builds.
func TestPinnedVersionsMatchBuildModules(t *testing.T) {
	tests := map[string]struct {
		gomod, module, want string
	}{
		"kubernetes": {"kube/go.mod", "k8s.io/kubernetes", KubernetesVersion},
		"etcd":       {"etcd/go.mod", "go.etcd.io/etcd/server/v3", EtcdVersion},
		"kwok":       {"kwok/go.mod", "sigs.k8s.io/kwok", KwokVersion},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "k8sbin", tc.gomod))
			if err != nil {
				t.Fatal(err)
			}
			re := regexp.MustCompile(`(?m)^(?:require\s+|\s+)` + regexp.QuoteMeta(tc.module) + `\s+(\S+)`)
			m := re.FindStringSubmatch(string(data))
			if m == nil {
				t.Fatalf("%s does not require %s", tc.gomod, tc.module)
			}
			if m[1] != tc.want {
				t.Errorf("%s requires %s %s, the package pins %s", tc.gomod, tc.module, m[1], tc.want)
			}
		})
	}
}

func TestKwokConfigHoldsEveryStage(t *testing.T) {
	dir := t.TempDir()
	if err := writeKwokConfig(dir, Ports{Kwok: 12345}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "kwok.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(data)
	for _, want := range []string{
		"kind: KwokConfiguration", "serverAddress: 127.0.0.1:12345",
		"nodeLeaseParallelism:", "podPlayStageParallelism:", "nodePlayStageParallelism:",
		"name: node-initialize", "name: node-heartbeat-with-lease", "name: pod-ready",
		"name: pod-complete", "name: pod-delete", "name: flotilla-pod-failed", "name: flotilla-pod-crashloop",
		`.metadata.labels["` + FailLabel + `"]`,
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("kwok.yaml lacks %q", want)
		}
	}
}

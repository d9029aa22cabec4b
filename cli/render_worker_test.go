package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A billion-laughs kustomization used to grow `flotilla render` to
// 24 GiB: the render now runs in a child process that dies at its limit.
func TestRenderAliasBombFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	for name, body := range map[string]string{"k/kustomization.yaml": "resources: [bomb.yaml]\n", "k/bomb.yaml": b.String()} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, errOut, code := run(t, "", "render", filepath.Join(dir, "k"), "--root", dir, "--render-memory-limit", "256MiB")
	if code == 0 || !strings.Contains(errOut, "k: render killed: memory limit 256MiB exceeded") {
		t.Errorf("exit %d, stderr %q: want the memory limit named", code, errOut)
	}
	_, errOut, code = run(t, "", "render", filepath.Join(dir, "k"), "--root", dir, "--render-cpu-limit", "0s")
	if code == 0 || !strings.Contains(errOut, "--render-cpu-limit") {
		t.Errorf("exit %d, stderr %q: want --render-cpu-limit refused", code, errOut)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Outside a Git work tree, the root defaults to the current directory
// when PATH is inside it: an overlay reads its ../base. From elsewhere the
// root is PATH, and the escape error says which root it was and how to
// widen it.
func TestRenderRootOutsideGit(t *testing.T) {
	dir := t.TempDir()
	for p, c := range map[string]string{
		"base/kustomization.yaml":       "resources: [cm.yaml]\n",
		"base/cm.yaml":                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
		"overlays/a/kustomization.yaml": "resources: [../../base]\nnamePrefix: a-\n",
	} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if root, ok := gitRoot(dir); ok {
		t.Skipf("the temporary directory is inside the Git work tree %s", root)
	}
	overlay := filepath.Join(dir, "overlays", "a")
	t.Chdir(dir)
	for _, verb := range []string{"render", "plan"} {
		out, errOut, code := run(t, "", verb, "overlays/a", "-n", "ns")
		if code != 0 || !strings.Contains(out, "a-settings") {
			t.Errorf("%s overlays/a from its repository's directory: exit %d, %q\n%s", verb, code, errOut, out)
		}
	}
	t.Chdir(overlay)
	_, errOut, code := run(t, "", "render", ".")
	if code != 1 || !strings.Contains(errOut, "leaves the repository root") || !strings.Contains(errOut, "the root is "+overlay) ||
		!strings.Contains(errOut, "pass --root DIR") {
		t.Errorf("render . inside the overlay: exit %d, %q; want the escape, the root and --root DIR", code, errOut)
	}
	out, errOut, code := run(t, "", "render", ".", "--root", dir)
	if code != 0 || !strings.Contains(out, "a-settings") {
		t.Errorf("render . --root %s: exit %d, %q", dir, code, errOut)
	}
}

package render

import (
	"context"
	"io/fs"
	"sort"
	"strings"
	"testing"
)

// Kustomize's remote base forms, parsed into repository, path and
// revision; what cannot be fetched from Git is refused by name.
func TestParseRemoteBase(t *testing.T) {
	for ref, want := range map[string]string{
		"https://github.com/kubernetes-sigs/kustomize//examples/multibases/dev/?ref=v1.0.6": "https://github.com/kubernetes-sigs/kustomize examples/multibases/dev v1.0.6",
		"github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v1.0.6":               "https://github.com/kubernetes-sigs/kustomize examples/multibases v1.0.6",
		"git::https://gitlab.com/org/repo.git//deploy/base?version=main":                    "https://gitlab.com/org/repo.git deploy/base main",
		"https://git.example.com/org/repo.git/deploy?ref=abc123":                            "https://git.example.com/org/repo.git deploy abc123",
		"http://127.0.0.1:8080/bases.git//web":                                              "http://127.0.0.1:8080/bases.git web ",
		"git@github.com:org/repo.git//base?ref=v2":                                          "git@github.com:org/repo.git base v2",
		"ssh://git@example.com/org/repo//base":                                              "ssh://git@example.com/org/repo base ",
		"https://git.example.com/org/repo":                                                  "https://git.example.com/org/repo . ",
	} {
		rb, err := ParseRemoteBase(ref)
		if got := rb.RepoURL + " " + rb.Path + " " + rb.Revision; err != nil || got != want {
			t.Errorf("%s: %q (%v), want %q", ref, got, err, want)
		}
	}
	for ref, want := range map[string]string{
		"file:///etc//x":                            "file:// repositories are not fetched",
		"https://raw.example.com/org/app.yaml":      "a file over HTTP, not a Git repository",
		"https://git.example.com/org/repo//../../x": "leaves the repository root",
	} {
		if _, err := ParseRemoteBase(ref); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", ref, err, want)
		}
	}
}

// A kustomization building on a remote base (and a local base that does
// too) renders from where the caller mounted the fetched repository; one
// not fetched is named.
func TestKustomizeRemoteBaseMounted(t *testing.T) {
	repo, remote := t.TempDir(), t.TempDir()
	ref := "https://git.example.com/bases.git//web?ref=v1"
	writeFiles(t, repo, map[string]string{
		"app/kustomization.yaml":   "namePrefix: app-\nresources:\n- " + ref + "\n- ../local\n",
		"local/kustomization.yaml": "resources:\n- " + ref + "\n- cm.yaml\nnameSuffix: -local\n",
		"local/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: own}\n",
	})
	writeFiles(t, remote, map[string]string{
		"web/kustomization.yaml": "resources: [cm.yaml]\n",
		"web/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: remote}\n",
	})
	root, closeRoot, err := OpenRoot(repo)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRoot()
	rroot, closeRemote, err := OpenRoot(remote)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRemote()
	bases, err := KustomizeRemoteBases(root, "app")
	if err != nil || len(bases) != 1 || bases[0].RepoURL != "https://git.example.com/bases.git" || bases[0].In != "app/kustomization.yaml" {
		t.Fatalf("remote bases %+v %v", bases, err)
	}
	bases[0].Mount = ".remote/0"
	fsys := Mount(root, map[string]fs.FS{".remote/0": rroot})
	res, err := Render(context.Background(), fsys, Source{Path: "app", Kustomize: KustomizeOptions{RemoteBases: bases}}, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range res.Objects {
		names = append(names, u.GetName())
	}
	sort.Strings(names)
	// Kustomize refuses the same object twice: the local base's copy has its suffix.
	if got := strings.Join(names, ","); got != "app-own-local,app-remote,app-remote-local" {
		t.Errorf("rendered %s", got)
	}
	// Not mounted: named, with its repository and revision.
	bases[0].Mount = ".remote/9"
	_, err = Render(context.Background(), fsys, Source{Path: "app", Kustomize: KustomizeOptions{RemoteBases: bases}}, DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "https://git.example.com/bases.git at v1 has no directory web") {
		t.Errorf("unmounted: %v", err)
	}
	// Without the caller's fetch, the reference stays refused.
	_, err = Render(context.Background(), root, Source{Path: "app"}, DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "remote kustomize bases are not allowed") {
		t.Errorf("no fetch: %v", err)
	}
	// The mount's parents are listed.
	if ents, err := fs.ReadDir(fsys, ".remote"); err != nil || len(ents) != 1 || ents[0].Name() != "0" || !ents[0].IsDir() {
		t.Errorf("ReadDir .remote: %v %v", ents, err)
	}
}

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
		// ORG/REPO on every host, as Kustomize; the host compared, not searched.
		"https://gitlab.example.com/group/repo/base?ref=v1":              "https://gitlab.example.com/group/repo base v1",
		"git@git.corp:org/repo/overlays/prod?ref=v1":                     "git@git.corp:org/repo overlays/prod v1",
		"ssh://git@git.corp/org/repo/base":                               "ssh://git@git.corp/org/repo base ",
		"ssh://git@git.corp:2222/org/repo/base":                          "ssh://git@git.corp:2222/org/repo base ",
		"https://notgithub.com.evil/a/b/c":                               "https://notgithub.com.evil/a/b c ",
		"https://dev.azure.com/org/project/_git/repo/path/to?ref=main":   "https://dev.azure.com/org/project/_git/repo path/to main",
		"https://user@dev.azure.com/org/project/_git/repo":               "https://user@dev.azure.com/org/project/_git/repo . ",
		"github.com:org/repo//base?version=v3":                           "https://github.com/org/repo base v3",
		"GIT::HTTPS://Git.Example.com/org/repo.git?ref=a&version=b":      "https://Git.Example.com/org/repo.git . a",
		"https://git.example.com/org/repo.gitops/base":                   "https://git.example.com/org/repo.git ops/base ",
		"https://git.example.com/org/repo/overlays/prod/app.yaml?ref=v1": "https://git.example.com/org/repo overlays/prod/app.yaml v1",
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
		"https://git.example.com/repo":              "no repository in the URL",
		"https:///org/repo":                         "no host or no path",
		"https://git.example.com":                   "no host or no path",
		"gitlab.com/org/repo":                       "not a Git URL",
		"git.corp:org/repo":                         "not a Git URL",
		"github.com.evil/org/repo":                  "not a Git URL",
		// A glob https://host/teams/* of the project must not match these.
		"https://host/teams/..":                     `segment ".."`,
		"https://host/teams/%2e%2E":                 `segment "%2e%2E"`,
		"https://host/teams/.//base":                `segment "."`,
		"git@host:../repo":                          `segment ".."`,
		"https://host/org/repo//base/../other":      `segment ".."`,
		"https://host/org/repo//base/%2E/x":         `segment "%2E"`,
		"https://host/org/repo//%zz":                `segment "%zz"`,
		"https://raw.example.com/org/repo/app.yaml": "a file over HTTP",
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

// A remote base reads only its own clone, as Kustomize confines it: a
// local reference of its kustomizations that leaves its mount (to the
// application's repository or another remote base) is refused, naming the
// remote base, the kustomization and the reference; a remote reference
// there stays refused even when the application has the same one.
func TestKustomizeRemoteBaseConfined(t *testing.T) {
	const (
		ref      = "https://git.example.com/bases.git//web?ref=v1"
		otherRef = "https://git.example.com/other.git//x?ref=v1"
		cm       = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: remote}\n"
	)
	for name, tc := range map[string]struct {
		kz      string            // web/kustomization.yaml of the remote base
		files   map[string]string // more files of the remote base
		wantErr string            // "" renders
	}{
		"its own files": {kz: "resources: [cm.yaml, ../common]\n", files: map[string]string{"common/kustomization.yaml": "resources: [cm.yaml]\nnameSuffix: -c\n", "common/cm.yaml": cm}},
		"its own chart and values": {kz: "resources: [cm.yaml]\nhelmCharts:\n- {name: c, valuesFile: v.yaml, additionalValuesFiles: [v.yaml]}\n", files: map[string]string{
			"web/v.yaml": "cmName: chart\n", "web/charts/c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
			"web/charts/c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Values.cmName }}}\n",
		}},
		"the application's base":        {kz: "resources: [../../../app/own]\n", wantErr: `web/kustomization.yaml: resources "../../../app/own": leaves the repository root`},
		"through a local base":          {kz: "resources: [../common]\n", files: map[string]string{"common/kustomization.yaml": "components: [../../../app/own]\n"}, wantErr: `common/kustomization.yaml: components "../../../app/own"`},
		"another remote base":           {kz: "resources: [../../1/x]\n", wantErr: `resources "../../1/x"`},
		"above the root":                {kz: "resources: [../../../../../etc]\n", wantErr: `resources "../../../../../etc"`},
		"from the repository root":      {kz: "resources: [/app/own]\n", wantErr: `resources "/app/own"`},
		"a patch file":                  {kz: "resources: [cm.yaml]\npatches:\n- path: ../../../app/secret.yaml\n", wantErr: `patches.path "../../../app/secret.yaml"`},
		"a generator's key=file":        {kz: "configMapGenerator:\n- name: g\n  files: [k=../../../app/secret.yaml]\n", wantErr: `configMapGenerator.files "../../../app/secret.yaml"`},
		"a generator's env":             {kz: "secretGenerator:\n- name: g\n  envs: [../../../app/secret.env]\n", wantErr: `secretGenerator.envs "../../../app/secret.env"`},
		"crds":                          {kz: "crds: [../../../app/crd.yaml]\n", wantErr: `crds "../../../app/crd.yaml"`},
		"openapi":                       {kz: "openapi: {path: ../../../app/schema.json}\n", wantErr: `openapi.path "../../../app/schema.json"`},
		"helm values file":              {kz: "helmCharts:\n- {name: c, valuesFile: ../../../app/values.yaml}\n", wantErr: `helmCharts.valuesFile "../../../app/values.yaml"`},
		"helm additional values":        {kz: "helmCharts:\n- {name: c, additionalValuesFiles: [v.yaml, ../../../app/values.yaml]}\n", wantErr: `helmCharts.additionalValuesFiles "../../../app/values.yaml"`},
		"helm chartHome":                {kz: "helmGlobals: {chartHome: ../../../app/charts}\nhelmCharts:\n- {name: c}\n", wantErr: `helmGlobals.chartHome "../../../app/charts"`},
		"helm chart name":               {kz: "helmCharts:\n- {name: ../../../../app/charts/c}\n", wantErr: `helmCharts.name "../../../../app/charts/c"`},
		"helm chart version":            {kz: "helmCharts:\n- {name: c, repo: https://charts.example.com, version: ../../../../../app/charts}\n", wantErr: `helmCharts.version "../../../../../app/charts"`},
		"the application's remote":      {kz: "resources:\n- " + otherRef + "\n", wantErr: "remote kustomize bases are not allowed"},
		"a remote reference of its own": {kz: "resources:\n- https://git.example.com/third.git//y\n", wantErr: "remote kustomize bases are not allowed"},
	} {
		t.Run(name, func(t *testing.T) {
			repo, remote, other := t.TempDir(), t.TempDir(), t.TempDir()
			writeFiles(t, repo, map[string]string{
				"app/kustomization.yaml":     "resources:\n- " + ref + "\n- " + otherRef + "\n",
				"app/own/kustomization.yaml": "resources: [cm.yaml]\n",
				"app/own/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: own}\n",
			})
			files := map[string]string{"web/kustomization.yaml": tc.kz, "web/cm.yaml": cm}
			for k, v := range tc.files {
				files[k] = v
			}
			writeFiles(t, remote, files)
			writeFiles(t, other, map[string]string{"x/kustomization.yaml": "resources: [cm.yaml]\n", "x/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n"})
			mounts := map[string]fs.FS{}
			for at, dir := range map[string]string{"": repo, ".remote/0": remote, ".remote/1": other} {
				root, closeRoot, err := OpenRoot(dir)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { closeRoot() })
				mounts[at] = root
			}
			root := mounts[""]
			delete(mounts, "")
			bases, err := KustomizeRemoteBases(root, "app")
			if err != nil || len(bases) != 2 {
				t.Fatalf("remote bases %+v %v", bases, err)
			}
			bases[0].Mount, bases[1].Mount = ".remote/0", ".remote/1"
			// Helm on: the values files of a remote base are checked before it is inflated.
			opts := KustomizeOptions{RemoteBases: bases, EnableHelm: true}
			res, err := Render(context.Background(), Mount(root, mounts), Source{Path: "app", Kustomize: opts}, DefaultLimits())
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Objects) != 3 {
					t.Fatalf("%d objects, want 3", len(res.Objects))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("%v, want %q", err, tc.wantErr)
			}
			if strings.Contains(tc.wantErr, `"`) && !strings.Contains(err.Error(), `remote base "`+ref+`"`) {
				t.Errorf("%v: the remote base is not named", err)
			}
		})
	}
}

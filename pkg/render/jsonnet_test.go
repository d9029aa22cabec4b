package render

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// TestJsonnet renders the directories of testdata/jsonnet (the repository
// root, so libs such as "vendor" are relative to it).
func TestJsonnet(t *testing.T) {
	tests := map[string]struct {
		path   string
		opts   DirectoryOptions
		ids    []string          // identities in output order
		data   map[string]string // "object-name.key" → data value
		errIs  error
		errHas []string // substrings of the error
	}{
		"ext vars, string and code": {
			path: "vars",
			opts: DirectoryOptions{Jsonnet: JsonnetOptions{ExtVars: []JsonnetVar{
				{Name: "name", Value: "web"}, {Name: "env", Value: "prod"}, {Name: "replicas", Value: "2", Code: true},
			}}},
			ids:  []string{"ConfigMap/web"},
			data: map[string]string{"web.env": "prod", "web.replicas": "3"},
		},
		"ext var missing": {
			path:   "vars",
			opts:   DirectoryOptions{Jsonnet: JsonnetOptions{ExtVars: []JsonnetVar{{Name: "name", Value: "web"}}}},
			errHas: []string{"vars/app.jsonnet", "RUNTIME ERROR: Undefined external variable: env", "vars/app.jsonnet:3:"},
		},
		"ext var code that does not parse": {
			path:   "vars",
			opts:   DirectoryOptions{Jsonnet: JsonnetOptions{ExtVars: []JsonnetVar{{Name: "name", Value: "web"}, {Name: "env", Value: "x"}, {Name: "replicas", Value: "2 +", Code: true}}}},
			errHas: []string{"vars/app.jsonnet: ", "replicas"},
		},
		"TLAs on a function file, default kept": {
			path: "tla",
			opts: DirectoryOptions{Jsonnet: JsonnetOptions{TLAs: []JsonnetVar{{Name: "ns", Value: "apps"}}}},
			ids:  []string{"ConfigMap/apps/tla"},
			data: map[string]string{"tla.replicas": "2"},
		},
		"TLAs, code overrides the default": {
			path: "tla",
			opts: DirectoryOptions{Jsonnet: JsonnetOptions{TLAs: []JsonnetVar{{Name: "ns", Value: "apps"}, {Name: "replicas", Value: "1 + 2", Code: true}}}},
			ids:  []string{"ConfigMap/apps/tla"},
			data: map[string]string{"tla.replicas": "6"},
		},
		"TLA missing": {
			path:   "tla",
			errHas: []string{"tla/fn.jsonnet: RUNTIME ERROR: Missing argument: ns"},
		},
		"libs search path: vendor, the last lib first, the file's directory before libs": {
			path: "libs/app",
			opts: DirectoryOptions{Jsonnet: JsonnetOptions{Libs: []string{"vendor", "vendor2"}}},
			ids:  []string{"ConfigMap/vendored"},
			data: map[string]string{"vendored.from": "vendor", "vendored.which": "vendor2", "vendored.shadow": "local",
				"vendored.banner": "hello from importstr\n", "vendored.bytes": "21"},
		},
		"libs relative to the root even with a leading slash": {
			path: "libs/app",
			opts: DirectoryOptions{Jsonnet: JsonnetOptions{Libs: []string{"/vendor"}}},
			ids:  []string{"ConfigMap/vendored"},
			data: map[string]string{"vendored.which": "vendor"},
		},
		"import not found without libs": {
			path:   "libs/app",
			errHas: []string{"libs/app/main.jsonnet: RUNTIME ERROR: ", `import "k.libsonnet" from libs/app/main.jsonnet: not found`, "libs/app/main.jsonnet:1:"},
		},
		"lib path leaving the repository": {
			path:   "libs/app",
			opts:   DirectoryOptions{Jsonnet: JsonnetOptions{Libs: []string{"../.."}}},
			errIs:  ErrEscape,
			errHas: []string{`jsonnet lib "../.."`},
		},
		"List, array with null and a list inside, null, empty array, items: null": {
			path: "lists",
			ids:  []string{"ConfigMap/array-a", "ConfigMap/array-b", "ConfigMap/list-a", "ConfigMap/list-b"},
		},
		"nested arrays refused, as Argo CD does": {
			path:   "nested",
			errIs:  object.ErrNotAnObject,
			errHas: []string{"nested/nested.jsonnet: output[1]: ", "std.flattenArrays"},
		},
		"import climbing out of the repository": {
			path:   "escape-up",
			errIs:  ErrEscape,
			errHas: []string{"escape-up/up.jsonnet", `import "../../../../../../etc/passwd" from escape-up/up.jsonnet`},
		},
		"absolute import": {
			path:   "escape-abs",
			errIs:  ErrEscape,
			errHas: []string{`import "/etc/passwd" from escape-abs/abs.jsonnet`},
		},
		"syntax error names file:line:column": {
			path:   "syntax",
			errHas: []string{"syntax/bad.jsonnet:4:3"},
		},
		"runtime error names file:line": {
			path:   "runtime",
			errHas: []string{"runtime/boom.jsonnet: RUNTIME ERROR: boom", "runtime/boom.jsonnet:3:6"},
		},
		"output that is not an object": {
			path:   "nonobject",
			errIs:  object.ErrNotAnObject,
			errHas: []string{"nonobject/str.jsonnet: output: ", "string"},
		},
		"object without a name, validated as YAML ones": {
			path:   "incomplete",
			errIs:  object.ErrIncomplete,
			errHas: []string{"incomplete/noname.jsonnet: output[1]: ", "missing metadata.name"},
		},
		"unbounded recursion stops at the stack limit": {
			path:   "deep",
			errHas: []string{"deep/recurse.jsonnet: RUNTIME ERROR: max stack frames exceeded"},
		},
		"YAML, JSON and Jsonnet mixed; libsonnet, values.yaml and skipped files left out": {
			path: "mixed",
			ids:  []string{"ConfigMap/plain", "Service/generated", "ConfigMap/json"},
		},
		"libsonnet alone renders nothing": {
			path: "libsonly",
		},
		"select: flat": {
			path: "select",
			ids:  []string{"ConfigMap/select-a"},
		},
		"select: recurse": {
			path: "select",
			opts: DirectoryOptions{Recurse: true},
			ids:  []string{"ConfigMap/select-a", "ConfigMap/select-b", "ConfigMap/select-c", "ConfigMap/select-d"},
		},
		"select: include": {
			path: "select",
			opts: DirectoryOptions{Recurse: true, Include: []string{"sub/*.jsonnet"}},
			ids:  []string{"ConfigMap/select-b", "ConfigMap/select-c"},
		},
		"select: exclude": {
			path: "select",
			opts: DirectoryOptions{Recurse: true, Exclude: []string{"{a,sub/c}.jsonnet"}},
			ids:  []string{"ConfigMap/select-b", "ConfigMap/select-d"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := renderAt(t, "testdata/jsonnet", Source{Path: tc.path, Kind: Directory, Directory: tc.opts})
			if tc.errIs != nil || tc.errHas != nil {
				checkErr(t, err, tc.errIs, tc.errHas)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			data := map[string]string{}
			for _, o := range res.Objects {
				ids = append(ids, object.IDOf(o).String())
				d, _ := o.Object["data"].(map[string]any)
				for k, v := range d {
					s, _ := v.(string)
					data[o.GetName()+"."+k] = s
				}
			}
			if strings.Join(ids, " ") != strings.Join(tc.ids, " ") {
				t.Errorf("objects:\n got %v\nwant %v", ids, tc.ids)
			}
			for k, want := range tc.data {
				if data[k] != want {
					t.Errorf("data %s = %q, want %q", k, data[k], want)
				}
			}
		})
	}
}

func checkErr(t *testing.T, err, is error, has []string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("error %q is not %q", err, is)
	}
	for _, s := range has {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

// TestJsonnetSymlinkOut: an import through a symlink that leaves the
// repository is refused, naming the file and the import. (The link is
// outside the source directory: a link out inside it fails the walk.)
func TestJsonnetSymlinkOut(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.libsonnet"), []byte("'secret'"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeTree(t, map[string]string{
		"app/main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}, data: {s: import '../lib/link.libsonnet'}}",
		"lib/ok.libsonnet": "{}",
	})
	if err := os.Symlink(filepath.Join(outside, "secret.libsonnet"), filepath.Join(dir, "lib", "link.libsonnet")); err != nil {
		t.Fatal(err)
	}
	_, err := renderAt(t, dir, Source{Path: "app"})
	checkErr(t, err, ErrEscape, []string{"app/main.jsonnet", `import "../lib/link.libsonnet" from app/main.jsonnet`})
}

// TestJsonnetLimits: an imported file is bounded by the per-file limit and
// the output counts toward the bytes of the directory.
func TestJsonnetLimits(t *testing.T) {
	big := "'" + strings.Repeat("x", 2000) + "'"
	tests := map[string]struct {
		files  map[string]string
		lim    func(*Limits)
		errIs  error
		errHas []string
	}{
		"imported file too large": {
			files: map[string]string{"app/main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}, data: {s: import 'big.libsonnet'}}",
				"app/big.libsonnet": big},
			lim:    func(l *Limits) { l.MaxFileBytes = 1000 },
			errIs:  object.ErrTooLarge,
			errHas: []string{`import "big.libsonnet" from app/main.jsonnet: app/big.libsonnet: `},
		},
		"output over the total bytes": {
			files:  map[string]string{"app/main.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x'}, data: {s: std.repeat('x', 5000)}}"},
			lim:    func(l *Limits) { l.MaxTotalBytes = 4000 },
			errIs:  ErrLimit,
			errHas: []string{"app: limit exceeded"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			repo, closeFn, err := OpenRoot(writeTree(t, tc.files))
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			lim := DefaultLimits()
			tc.lim(&lim)
			_, err = Render(context.Background(), repo, Source{Path: "app"}, lim)
			checkErr(t, err, tc.errIs, tc.errHas)
		})
	}
}

// TestJsonnetAnyFS: the hub renders from a Git tree, not a directory on
// disk; imports go through the fs.FS given.
func TestJsonnetAnyFS(t *testing.T) {
	repo := fstest.MapFS{
		"apps/web/main.jsonnet":      {Data: []byte("(import 'k.libsonnet').cm(std.extVar('n'))")},
		"jsonnet/lib/k.libsonnet":    {Data: []byte("{cm(n):: {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: n}}}")},
		"apps/web/ignored.libsonnet": {Data: []byte("error 'never'")},
	}
	src := Source{Path: "apps/web", Directory: DirectoryOptions{Jsonnet: JsonnetOptions{
		Libs: []string{"jsonnet/lib"}, ExtVars: []JsonnetVar{{Name: "n", Value: "from-tree"}}}}}
	res, err := Render(context.Background(), repo, src, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 || res.Objects[0].GetName() != "from-tree" {
		t.Errorf("objects: %v", res.Objects)
	}
}

package render

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// Kind is how a source path is rendered.
type Kind string

// Source kinds. The empty kind auto-detects.
const (
	Auto      Kind = ""
	Directory Kind = "Directory"
	Kustomize Kind = "Kustomize"
	Helm      Kind = "Helm"
)

// Source says what to render: a path inside the repository and how.
type Source struct {
	Path      string // slash-separated, relative to the repository root; "" or "." is the root
	Kind      Kind
	Directory DirectoryOptions
	Helm      HelmOptions
	// Kustomize overrides a Kustomize source (left out of the JSON when
	// empty, so render keys made before it existed stay the same).
	Kustomize KustomizeOptions `json:",omitzero"`
}

// DirectoryOptions select the files of a directory source. Globs match the
// slash-separated path relative to the source path and may use {a,b}.
type DirectoryOptions struct {
	Recurse bool
	Include []string
	Exclude []string
	// Jsonnet configures the evaluation of *.jsonnet files (left out of the
	// JSON when empty, so render keys made before it existed stay the same).
	Jsonnet JsonnetOptions `json:"jsonnet,omitzero"`
}

// JsonnetOptions are the inputs of every *.jsonnet file of a directory
// source, as Argo CD's spec.source.directory.jsonnet.
type JsonnetOptions struct {
	ExtVars []JsonnetVar `json:"extVars,omitempty"`
	TLAs    []JsonnetVar `json:"tlas,omitempty"`
	Libs    []string     `json:"libs,omitempty"` // library search paths, relative to the repository root
}

// JsonnetVar is an external variable or a top-level argument.
type JsonnetVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Code  bool   `json:"code,omitempty"` // Value is Jsonnet code, not a string
}

// HelmOptions are `helm template`'s inputs.
type HelmOptions struct {
	ReleaseName string
	Namespace   string
	ValueFiles  []string // relative to the chart path, inside the repository
	Values      string   // inline YAML, after the files
	Set         []string // key=value as helm --set, last
	KubeVersion string
	APIVersions []string
	IncludeCRDs bool
	SkipTests   bool
	// SkipHooks leaves the hooks out (helm template --no-hooks).
	SkipHooks bool `json:",omitempty"`
	// Dependencies are charts of Chart.yaml's dependencies that the caller
	// fetched from their repositories, as `helm dependency build` would,
	// each unpacked in a directory on disk. Only those the chart's charts/
	// lacks are added.
	Dependencies []ChartDependency `json:",omitempty"`
	// RefValueFiles hold the values files of ValueFiles named "$REF/path":
	// files of another source's repository (Argo CD's multiple sources),
	// read by the caller.
	RefValueFiles map[string]string `json:",omitempty"`
}

// ChartDependency is a chart fetched by the caller, unpacked in Dir: a
// dependency of a chart, or a chart of a kustomization's helmCharts (from
// Repository, at the version the kustomization asked, Want).
type ChartDependency struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Dir        string `json:"dir"`
	Repository string `json:"repository,omitempty"`
	Want       string `json:"want,omitempty"`
}

// Limits bound the cost of one render.
type Limits struct {
	object.Limits
	MaxFiles      int   // manifest files read by a directory source
	MaxTotalBytes int64 // bytes read by a directory source
	MaxObjects    int   // objects returned
}

// DefaultLimits suit large real applications and stop hostile ones.
func DefaultLimits() Limits {
	return Limits{Limits: object.DefaultLimits(), MaxFiles: 10000, MaxTotalBytes: 256 << 20, MaxObjects: 50000}
}

// Result is a complete render.
type Result struct {
	Kind    Kind
	Objects []*unstructured.Unstructured
}

// Render renders src from the repository repo. ctx bounds the time spent.
func Render(ctx context.Context, repo fs.FS, src Source, lim Limits) (*Result, error) {
	dir, err := cleanPath(src.Path)
	if err != nil {
		return nil, err
	}
	if err := checkDir(repo, dir); err != nil {
		return nil, err
	}
	kind := src.Kind
	if kind == Auto {
		kind = Detect(repo, dir)
	}
	if err := checkKustomizeOptions(src.Kustomize, kind, dir); err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	switch kind {
	case Directory:
		objs, err = renderDirectory(ctx, repo, dir, src.Directory, lim)
	case Kustomize:
		objs, err = renderKustomize(ctx, repo, dir, src.Kustomize, lim)
	case Helm:
		objs, err = renderHelm(ctx, repo, dir, src.Helm, lim)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownSource, kind)
	}
	if err != nil {
		return nil, err
	}
	if lim.MaxObjects > 0 && len(objs) > lim.MaxObjects {
		return nil, fmt.Errorf("%s: %w: %d objects > %d", displayPath(dir), ErrLimit, len(objs), lim.MaxObjects)
	}
	return &Result{Kind: kind, Objects: objs}, nil
}

// Detect says how dir would be rendered: kustomization.yaml → Kustomize,
// Chart.yaml → Helm, else Directory.
func Detect(repo fs.FS, dir string) Kind {
	for _, k := range kustomizationNames {
		if isFile(repo, path.Join(dir, k)) {
			return Kustomize
		}
	}
	if isFile(repo, path.Join(dir, "Chart.yaml")) {
		return Helm
	}
	return Directory
}

var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

func isFile(repo fs.FS, name string) bool {
	fi, err := fs.Stat(repo, name)
	return err == nil && fi.Mode().IsRegular()
}

// cleanPath turns a user path into an fs.FS path, refusing absolute paths
// and paths that climb out of the root.
func cleanPath(p string) (string, error) {
	if p == "" {
		return ".", nil
	}
	if strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return "", fmt.Errorf("path %q: %w (paths are relative to the repository root)", p, ErrEscape)
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") || !fs.ValidPath(c) {
		return "", fmt.Errorf("path %q: %w", p, ErrEscape)
	}
	return c, nil
}

// joinPath joins a path given relative to dir (or, starting with "/", to
// the repository root, as Argo CD resolves values files) and checks that
// the result stays in the repository.
func joinPath(dir, rel string) (string, error) {
	j := path.Join(dir, rel)
	if strings.HasPrefix(rel, "/") {
		j = path.Clean(strings.TrimLeft(rel, "/"))
		if j == "" {
			j = "."
		}
	}
	if _, err := cleanPath(j); err != nil {
		return "", fmt.Errorf("path %q: %w", rel, ErrEscape)
	}
	return j, nil
}

func checkDir(repo fs.FS, dir string) error {
	fi, err := fs.Stat(repo, dir)
	if err != nil {
		return fmt.Errorf("path %s: %w", displayPath(dir), explain(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("path %s: not a directory", displayPath(dir))
	}
	return nil
}

// explain turns os.Root's escape error into ErrEscape.
func explain(err error) error {
	if err != nil && strings.Contains(err.Error(), "path escapes from parent") {
		return fmt.Errorf("symlink %w", ErrEscape)
	}
	return err
}

func displayPath(p string) string {
	if p == "." {
		return "./"
	}
	return p
}

// readFile reads name from repo with a size limit, naming the path in errors.
func readFile(repo fs.FS, name string, max int64) ([]byte, error) {
	fi, err := fs.Stat(repo, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, explain(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	if max > 0 && fi.Size() > max {
		return nil, fmt.Errorf("%s: %w: %d bytes > %d", name, object.ErrTooLarge, fi.Size(), max)
	}
	b, err := fs.ReadFile(repo, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, explain(err))
	}
	return b, nil
}

// OpenRoot opens a directory on disk as a repository: symlinks inside it are
// followed, symlinks leaving it fail. Close the returned root when done.
func OpenRoot(dir string) (fs.FS, func() error, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	return r.FS(), r.Close, nil
}

func ctxErr(ctx context.Context, what string) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, context.Cause(ctx))
	}
	return nil
}

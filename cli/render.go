package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/render"
)

// renderFlags are the source flags shared by render and plan.
type renderFlags struct {
	root        string
	kind        string
	values      []string
	set         []string
	release     string
	namespace   string
	kubeVersion string
	apiVersions []string
	includeCRDs bool
	skipTests   bool
	recurse     bool
	include     []string
	exclude     []string
	timeout     time.Duration
	worker      workerFlags
	kustomize   kustomizeFlags
}

func (f *renderFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.root, "root", "", "repository root that nothing may escape (default: the Git work tree holding PATH, else the current directory if PATH is in it, else PATH)")
	fl.StringVar(&f.kind, "kind", "", "source kind: Directory, Kustomize or Helm (default: detect)")
	fl.StringArrayVarP(&f.values, "values", "f", nil, "Helm values file (repeatable; must be inside the root)")
	fl.StringArrayVar(&f.set, "set", nil, "Helm value key=value (repeatable)")
	fl.StringVar(&f.release, "release", "", "Helm release name (default release-name)")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "Helm release namespace; for plan also the default namespace of objects")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version for Helm's Capabilities")
	fl.StringArrayVar(&f.apiVersions, "api-versions", nil, "API versions for Helm's Capabilities (repeatable)")
	fl.BoolVar(&f.includeCRDs, "include-crds", false, "include the chart's crds/ directory (as helm template --include-crds)")
	fl.BoolVar(&f.skipTests, "skip-tests", false, "leave out Helm test hooks")
	fl.BoolVar(&f.recurse, "recurse", true, "directory sources: read subdirectories")
	fl.StringArrayVar(&f.include, "include", nil, "directory sources: only files matching this glob (repeatable, {a,b} allowed)")
	fl.StringArrayVar(&f.exclude, "exclude", nil, "directory sources: skip files matching this glob (repeatable)")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "render time limit")
	f.worker.register(cmd)
	f.kustomize.register(cmd)
}

// render renders PATH with the flags and returns its objects.
func (f *renderFlags) render(ctx context.Context, target string) ([]*unstructured.Unstructured, error) {
	abs, err := filepath.Abs(target)
	if err != nil {
		return nil, err
	}
	root := f.root
	if root == "" {
		root = defaultRoot(abs)
	}
	if root, err = filepath.Abs(root); err != nil {
		return nil, err
	}
	rel, err := inside(root, abs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	src := render.Source{
		Path: rel, Kind: render.Kind(normalizeKind(f.kind)),
		Directory: render.DirectoryOptions{Recurse: f.recurse, Include: f.include, Exclude: f.exclude},
		Helm: render.HelmOptions{ReleaseName: f.release, Namespace: f.namespace, Set: f.set,
			KubeVersion: f.kubeVersion, APIVersions: f.apiVersions, IncludeCRDs: f.includeCRDs, SkipTests: f.skipTests},
	}
	if src.Kustomize, err = f.kustomize.options(); err != nil {
		return nil, err
	}
	for _, v := range f.values {
		va, err := filepath.Abs(v)
		if err != nil {
			return nil, err
		}
		if _, err := inside(root, va); err != nil {
			return nil, fmt.Errorf("values file %s: %w", v, err)
		}
		r, err := filepath.Rel(abs, va) // values files are relative to the chart
		if err != nil {
			return nil, err
		}
		src.Helm.ValueFiles = append(src.Helm.ValueFiles, filepath.ToSlash(r))
	}
	res, err := f.renderInWorker(ctx, root, src)
	if err != nil {
		return nil, rootHint(err, root, f.root != "")
	}
	return res.Objects, nil
}

func normalizeKind(k string) string {
	switch strings.ToLower(k) {
	case "":
		return ""
	case "directory", "dir":
		return string(render.Directory)
	case "kustomize":
		return string(render.Kustomize)
	case "helm":
		return string(render.Helm)
	}
	return k // rejected by render with the list of kinds
}

// gitRoot returns the Git work tree holding dir, if there is one.
func gitRoot(dir string) (string, bool) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// inside returns p relative to root, or an error when it is outside.
func inside(root, p string) (string, error) {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: outside the root %s", render.ErrEscape, root)
	}
	return filepath.ToSlash(rel), nil
}

func newRenderCmd() *cobra.Command {
	var f renderFlags
	cmd := &cobra.Command{
		Use:   "render PATH",
		Short: "Render a directory, Kustomize overlay or Helm chart to YAML",
		Long: `Render prints the objects a source produces as multi-document YAML: the
same objects as "kustomize build PATH" or "helm template NAME PATH" on the
same inputs (Helm hooks and tests included; the plan decides what runs).
Nothing outside the root is read: ../ paths and symlinks that leave it fail.`,
		Example: `  flotilla render ./apps/guestbook
  flotilla render ./charts/web --release web -n prod -f ./charts/web/values-prod.yaml --set image.tag=1.2
  flotilla render ./overlays/prod --root .`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, err := f.render(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			b, err := object.EncodeYAML(objs)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	f.register(cmd)
	return cmd
}

package render

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/ignore"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/strvals"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// DefaultKubeVersion is Helm's .Capabilities.KubeVersion when none is given:
// the Kubernetes minor of the pinned client libraries, as release builds of
// the helm CLI report.
const DefaultKubeVersion = "v1.37.0"

// renderHelm renders the chart at dir as `helm template` does, hooks
// included (test hooks too unless SkipTests: the plan decides what runs).
// Helm's engine bounds template recursion (include/tpl) itself.
func renderHelm(ctx context.Context, repo fs.FS, dir string, opts HelmOptions, lim Limits) ([]*unstructured.Unstructured, error) {
	ch, err := loadChart(repo, dir, opts.Dependencies, lim)
	if err != nil {
		return nil, err
	}
	vals, err := helmValues(repo, dir, opts, lim)
	if err != nil {
		return nil, err
	}
	return runHelm(ctx, ch, vals, dir, opts, lim)
}

// runHelm renders the loaded chart ch (read from dir) with vals, as
// `helm template` does.
func runHelm(ctx context.Context, ch *chart.Chart, vals map[string]any, dir string, opts HelmOptions, lim Limits) ([]*unstructured.Unstructured, error) {
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.DryRun, inst.ClientOnly, inst.Replace = true, true, true
	inst.ReleaseName = opts.ReleaseName
	if inst.ReleaseName == "" {
		inst.ReleaseName = "release-name" // helm template's default
	}
	inst.Namespace = opts.Namespace
	if inst.Namespace == "" {
		inst.Namespace = "default"
	}
	inst.IncludeCRDs = opts.IncludeCRDs
	inst.DisableHooks = opts.SkipHooks
	inst.APIVersions = chartutil.VersionSet(opts.APIVersions)
	kubeVersion := opts.KubeVersion
	if kubeVersion == "" {
		kubeVersion = DefaultKubeVersion
	}
	{
		kv, err := chartutil.ParseKubeVersion(kubeVersion)
		if err != nil {
			return nil, fmt.Errorf("helm %s: kube version %q: %w", displayPath(dir), opts.KubeVersion, err)
		}
		inst.KubeVersion = kv
	}
	rel, err := inst.RunWithContext(ctx, ch, vals)
	if err != nil {
		return nil, fmt.Errorf("helm template %s: %w", displayPath(dir), err)
	}
	var out []*unstructured.Unstructured
	lim.MaxFileBytes = 0
	for _, doc := range splitSources(templateOutput(rel, opts.SkipTests || opts.SkipHooks, opts.SkipHooks)) {
		objs, err := object.Decode(doc.source, []byte(doc.body), lim.Limits)
		if err != nil {
			return nil, fmt.Errorf("helm template %s: %w", displayPath(dir), err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

// templateOutput is the text `helm template` prints for rel
// (cmd/helm/template.go): the manifest trimmed and ended by one newline,
// then each hook as "---\n# Source: path\n" + manifest + "\n". Objects are
// read from this text, as Argo CD and kubectl read helm's output: Helm trims
// every document it renders, and the newline it prints after each is what
// ends the document's last line, so a block scalar ("|") closing a document
// keeps its final newline only when read from this text.
func templateOutput(rel *release.Release, skipTests, skipHooks bool) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(rel.Manifest))
	b.WriteByte('\n')
	for _, h := range rel.Hooks {
		if skipHooks || skipTests && isTestHook(h) {
			continue
		}
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	return b.String()
}

func isTestHook(h *release.Hook) bool {
	for _, e := range h.Events {
		if e == release.HookTest {
			return true
		}
	}
	return false
}

type sourceDoc struct{ source, body string }

// splitSources splits helm template's output at its "---" lines into the
// documents a YAML reader sees, each with the line break that ends its last
// line, so that decoding them one by one reads what decoding the whole text
// would. Each is named by the "# Source: path" comment that starts it, or
// else by the one before (a CRD file may hold several documents), so that
// decoding errors name the template file.
func splitSources(text string) []sourceDoc {
	var out []sourceDoc
	src, start := "helm manifest", 0
	add := func(body string) {
		if rest, ok := strings.CutPrefix(strings.TrimLeft(body, "\n"), "# Source: "); ok {
			src, _, _ = strings.Cut(rest, "\n")
		}
		if strings.TrimSpace(body) != "" {
			out = append(out, sourceDoc{source: src, body: body})
		}
	}
	for i := 0; i < len(text); {
		end := len(text)
		if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
			end = i + j + 1
		}
		if strings.TrimRight(text[i:end], "\r\n") == "---" {
			add(text[start:i])
			start = end
		}
		i = end
	}
	add(text[start:])
	return out
}

// loadChart loads the chart at dir with the dependencies its charts/
// lacks, and checks it can be installed.
func loadChart(repo fs.FS, dir string, deps []ChartDependency, lim Limits) (*chart.Chart, error) {
	ch, err := loadChartFiles(repo, dir, lim)
	if err != nil {
		return nil, err
	}
	if ch.Metadata.Type == "library" {
		return nil, fmt.Errorf("chart %s: library charts are not installable", displayPath(dir))
	}
	if err := addDependencies(repo, dir, ch, deps, lim); err != nil {
		return nil, err
	}
	if err := action.CheckDependencies(ch, ch.Metadata.Dependencies); err != nil {
		return nil, fmt.Errorf("chart %s: %w", displayPath(dir), err)
	}
	return ch, nil
}

// loadChartFiles reads the chart's files from the repository (honouring
// .helmignore, following symlinks that stay inside the root) and loads it.
func loadChartFiles(repo fs.FS, dir string, lim Limits) (*chart.Chart, error) {
	rules := ignore.Empty()
	if b, err := fs.ReadFile(repo, path.Join(dir, ignore.HelmIgnore)); err == nil {
		r, err := ignore.Parse(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path.Join(dir, ignore.HelmIgnore), err)
		}
		rules = r
	}
	rules.AddDefaults()
	var files []*loader.BufferedFile
	var total int64
	var walk func(p string, depth int) error
	walk = func(p string, depth int) error {
		if depth > 32 {
			return fmt.Errorf("%s: %w: directories nested too deep (symlink loop?)", p, ErrLimit)
		}
		ents, err := fs.ReadDir(repo, p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, explain(err))
		}
		for _, e := range ents {
			full := path.Join(p, e.Name())
			fi, err := fs.Stat(repo, full) // follows symlinks inside the root
			if err != nil {
				return fmt.Errorf("%s: %w", full, explain(err))
			}
			rel := relTo(dir, full)
			if rules.Ignore(rel, fi) {
				continue
			}
			if fi.IsDir() {
				if err := walk(full, depth+1); err != nil {
					return err
				}
				continue
			}
			data, err := readFile(repo, full, lim.MaxFileBytes)
			if err != nil {
				return err
			}
			if total += int64(len(data)); lim.MaxTotalBytes > 0 && total > lim.MaxTotalBytes {
				return fmt.Errorf("chart %s: %w: more than %d bytes", displayPath(dir), ErrLimit, lim.MaxTotalBytes)
			}
			files = append(files, &loader.BufferedFile{Name: rel, Data: bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))})
		}
		return nil
	}
	if err := walk(dir, 0); err != nil {
		return nil, err
	}
	ch, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", displayPath(dir), err)
	}
	return ch, nil
}

// helmValues merges values files, inline values and --set, in that order.
func helmValues(repo fs.FS, dir string, opts HelmOptions, lim Limits) (map[string]any, error) {
	base := map[string]any{}
	for _, f := range opts.ValueFiles {
		p, b, err := valuesFile(repo, dir, f, opts.RefValueFiles, lim)
		if err != nil {
			return nil, err
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("values file %s: %w", p, err)
		}
		base = mergeMaps(base, m)
	}
	if strings.TrimSpace(opts.Values) != "" {
		m := map[string]any{}
		if err := yaml.Unmarshal([]byte(opts.Values), &m); err != nil {
			return nil, fmt.Errorf("inline values: %w", err)
		}
		base = mergeMaps(base, m)
	}
	for _, s := range opts.Set {
		if err := strvals.ParseInto(s, base); err != nil {
			return nil, fmt.Errorf("--set %q: %w", s, err)
		}
	}
	return base, nil
}

// valuesFile reads values file f of the chart at dir: from the
// repository, or from refs when it names another source ("$REF/...").
func valuesFile(repo fs.FS, dir, f string, refs map[string]string, lim Limits) (string, []byte, error) {
	if strings.HasPrefix(f, "$") {
		b, ok := refs[f]
		if !ok {
			return "", nil, fmt.Errorf("values file %s: no source of the application has ref %s", f, strings.SplitN(f[1:], "/", 2)[0])
		}
		if lim.MaxFileBytes > 0 && int64(len(b)) > lim.MaxFileBytes {
			return "", nil, fmt.Errorf("values file %s: %w: %d bytes > %d", f, object.ErrTooLarge, len(b), lim.MaxFileBytes)
		}
		return f, []byte(b), nil
	}
	p, err := joinPath(dir, f)
	if err != nil {
		return "", nil, fmt.Errorf("values file: %w", err)
	}
	b, err := readFile(repo, p, lim.MaxFileBytes)
	if err != nil {
		return "", nil, fmt.Errorf("values file %w", err)
	}
	return p, b, nil
}

// mergeMaps merges b into a, recursing into maps (Helm's values semantics).
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bv, ok := v.(map[string]any); ok {
			if av, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(av, bv)
				continue
			}
		}
		out[k] = v
	}
	return out
}

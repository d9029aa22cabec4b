package render

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/pkg/util"
	"sigs.k8s.io/yaml"
)

// KustomizeOptions override an application's kustomization as Argo CD's
// spec.source.kustomize does: before the build they are written into the
// kustomization of the source path, as `kustomize edit set nameprefix`,
// `set namesuffix`, `set image`, `set replicas`, `add label`, `add
// annotation` and `set namespace` write them, and the patches are appended
// to its patches. Error messages name the fields as source.kustomize.X.
type KustomizeOptions struct {
	NamePrefix        string             `json:"namePrefix,omitempty"`
	NameSuffix        string             `json:"nameSuffix,omitempty"`
	Images            []string           `json:"images,omitempty"` // NAME=NEW:TAG, NAME:TAG, NAME@DIGEST, NAME=NEW@DIGEST
	Replicas          []KustomizeReplica `json:"replicas,omitempty"`
	CommonLabels      map[string]string  `json:"commonLabels,omitempty"`
	CommonAnnotations map[string]string  `json:"commonAnnotations,omitempty"`
	Namespace         string             `json:"namespace,omitempty"`
	Patches           []KustomizePatch   `json:"patches,omitempty"`
	// EnableHelm inflates the helmCharts of the kustomizations (kustomize
	// build --enable-helm) from their chartHome or from HelmCharts, the
	// charts the caller fetched from their repositories. Neither is an
	// override.
	EnableHelm bool              `json:"enableHelm,omitempty"`
	HelmCharts []ChartDependency `json:"helmCharts,omitempty"`
	// RemoteBases are the kustomizations' remote bases the caller fetched
	// and mounted in the render's filesystem.
	RemoteBases []RemoteBase `json:"remoteBases,omitempty"`
}

// KustomizeReplica sets the replicas of the Deployments, StatefulSets,
// ReplicaSets and ReplicationControllers of that name.
type KustomizeReplica struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// KustomizePatch is a strategic merge or JSON 6902 patch: inline (Patch)
// or a file of the repository (Path, relative to the source path).
type KustomizePatch struct {
	Patch  string             `json:"patch,omitempty"`
	Path   string             `json:"path,omitempty"`
	Target *KustomizeSelector `json:"target,omitempty"`
}

// KustomizeSelector selects the objects a patch applies to.
type KustomizeSelector struct {
	Group              string `json:"group,omitempty"`
	Version            string `json:"version,omitempty"`
	Kind               string `json:"kind,omitempty"`
	Name               string `json:"name,omitempty"`
	Namespace          string `json:"namespace,omitempty"`
	LabelSelector      string `json:"labelSelector,omitempty"`
	AnnotationSelector string `json:"annotationSelector,omitempty"`
}

// Overrides reports whether o overrides anything of the kustomization.
func (o KustomizeOptions) Overrides() bool {
	return o.NamePrefix != "" || o.NameSuffix != "" || len(o.Images) > 0 || len(o.Replicas) > 0 ||
		len(o.CommonLabels) > 0 || len(o.CommonAnnotations) > 0 || o.Namespace != "" || len(o.Patches) > 0
}

// IsZero reports whether o is empty (what json's omitzero asks).
func (o KustomizeOptions) IsZero() bool {
	return !o.Overrides() && !o.EnableHelm && len(o.HelmCharts) == 0 && len(o.RemoteBases) == 0
}

// kustomizeField prefixes the fields named in errors.
const kustomizeField = "source.kustomize"

// Validate refuses values `kustomize edit` or the build would refuse, or
// that could not work, naming the field.
func (o KustomizeOptions) Validate() error {
	for i, im := range o.Images {
		if _, err := parseImage(im); err != nil {
			return fmt.Errorf("%s.images[%d]: %q: %w", kustomizeField, i, im, err)
		}
	}
	for i, r := range o.Replicas {
		switch {
		case r.Name == "" || strings.ContainsAny(r.Name, "= \t\n"):
			return fmt.Errorf("%s.replicas[%d].name %q: want the name of a Deployment, StatefulSet or ReplicaSet", kustomizeField, i, r.Name)
		case r.Count < 0:
			return fmt.Errorf("%s.replicas[%d].count %d: must not be negative", kustomizeField, i, r.Count)
		}
	}
	if err := validateMeta("commonLabels", o.CommonLabels, true); err != nil {
		return err
	}
	if err := validateMeta("commonAnnotations", o.CommonAnnotations, false); err != nil {
		return err
	}
	if o.Namespace != "" {
		if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
			return fmt.Errorf("%s.namespace %q: %s", kustomizeField, o.Namespace, strings.Join(errs, "; "))
		}
	}
	for i, p := range o.Patches {
		if err := p.validate(); err != nil {
			return fmt.Errorf("%s.patches[%d]%w", kustomizeField, i, err)
		}
	}
	return nil
}

// checkKustomizeOptions refuses invalid overrides, and overrides of a
// source that is not Kustomize.
func checkKustomizeOptions(o KustomizeOptions, kind Kind, dir string) error {
	if o.EnableHelm && (kind == Directory || kind == Helm) {
		return fmt.Errorf("%s.enableHelm: path %s is a %s source; it inflates the helmCharts of kustomizations", kustomizeField, displayPath(dir), kind)
	}
	if !o.Overrides() {
		return nil
	}
	if kind == Directory || kind == Helm { // other kinds fail on their own
		return fmt.Errorf("%s: path %s is a %s source; the overrides apply to Kustomize sources only", kustomizeField, displayPath(dir), kind)
	}
	return o.Validate()
}

// validateMeta checks label (or annotation) keys, and label values, as
// the API server would.
func validateMeta(field string, m map[string]string, isLabel bool) error {
	for _, k := range sortedKeys(m) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return fmt.Errorf("%s.%s[%s]: key %q: %s", kustomizeField, field, k, k, strings.Join(errs, "; "))
		}
		if !isLabel {
			continue
		}
		if errs := validation.IsValidLabelValue(m[k]); len(errs) > 0 {
			return fmt.Errorf("%s.%s[%s]: value %q: %s", kustomizeField, field, k, m[k], strings.Join(errs, "; "))
		}
	}
	return nil
}

// validate checks one patch; its error starts with the field under the
// patch (".path: ...") or ": ...".
func (p KustomizePatch) validate() error {
	switch {
	case p.Patch == "" && p.Path == "":
		return fmt.Errorf(": want patch (inline) or path (a file in the repository)")
	case p.Patch != "" && p.Path != "":
		return fmt.Errorf(": patch and path are both set; want one")
	case p.Path != "":
		if strings.HasPrefix(p.Path, "/") || isRemote(p.Path) {
			return fmt.Errorf(".path %q: want a file of the repository, relative to the source path", p.Path)
		}
	default:
		var v any
		if err := yaml.Unmarshal([]byte(p.Patch), &v); err != nil {
			return fmt.Errorf(".patch: not YAML or JSON: %v", err)
		}
	}
	if t := p.Target; t != nil {
		for name, sel := range map[string]string{"labelSelector": t.LabelSelector, "annotationSelector": t.AnnotationSelector} {
			if _, err := labels.Parse(sel); err != nil {
				return fmt.Errorf(".target.%s %q: %v", name, sel, err)
			}
		}
	}
	return nil
}

// image is one override of a kustomization's images list.
type image struct{ name, newName, newTag, digest string }

// parseImage reads an image override as `kustomize edit set image` does:
// [NAME=]NEWNAME[:TAG][@DIGEST], where a value naming no tag, digest or
// new name ("nginx") is refused, and "*" keeps the kustomization's value.
func parseImage(arg string) (image, error) {
	key, value, hasKey := strings.Cut(arg, "=")
	if !hasKey {
		key, value = "", arg
	}
	name, tag, digest := util.SplitImageName(value)
	switch {
	case strings.ContainsAny(arg, " \t\n"):
		return image{}, fmt.Errorf("white space in an image reference")
	case name == arg:
		return image{}, fmt.Errorf("want NAME:TAG, NAME@DIGEST or NAME=NEWNAME[:TAG][@DIGEST]")
	case hasKey && key == "", !hasKey && name == "":
		return image{}, fmt.Errorf("the image name is empty")
	case hasKey && value == "":
		return image{}, fmt.Errorf("nothing to set after %q", key+"=")
	}
	if !hasKey {
		return image{name: name, newTag: tag, digest: digest}, nil
	}
	return image{name: key, newName: name, newTag: tag, digest: digest}, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

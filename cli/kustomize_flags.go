package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// kustomizeFlags are Argo CD's Kustomize overrides (argocd app create/set
// --nameprefix ...), shared by `app create|set`, `render` and `plan`.
type kustomizeFlags struct {
	namePrefix, nameSuffix, namespace, patchesFile string
	images, labels, annotations, replicas          []string
	enableHelm                                     bool
}

// kustomizeFlagNames are the flags, to tell whether any was given.
var kustomizeFlagNames = []string{"nameprefix", "namesuffix", "kustomize-image", "kustomize-namespace", "kustomize-common-label",
	"kustomize-common-annotation", "kustomize-replica", "kustomize-patches", "kustomize-enable-helm"}

func (f *kustomizeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.namePrefix, "nameprefix", "", "Kustomize: prefix of every object's name (replaces the kustomization's namePrefix)")
	fl.StringVar(&f.nameSuffix, "namesuffix", "", "Kustomize: suffix of every object's name (replaces the kustomization's nameSuffix)")
	fl.StringArrayVar(&f.images, "kustomize-image", nil, "Kustomize: image override NAME=NEW:TAG, NAME:TAG, NAME@DIGEST or NAME=NEW@DIGEST (repeatable)")
	fl.BoolVar(&f.enableHelm, "kustomize-enable-helm", false, "Kustomize: inflate the kustomizations' helmCharts (kustomize build --enable-helm); charts of a repo are fetched by the hub")
	fl.StringVar(&f.namespace, "kustomize-namespace", "", "Kustomize: namespace of every namespaced object")
	fl.StringArrayVar(&f.labels, "kustomize-common-label", nil, "Kustomize: common label k=v, selectors included (repeatable)")
	fl.StringArrayVar(&f.annotations, "kustomize-common-annotation", nil, "Kustomize: common annotation k=v (repeatable)")
	fl.StringArrayVar(&f.replicas, "kustomize-replica", nil, "Kustomize: replicas NAME=COUNT of a Deployment or StatefulSet (repeatable)")
	fl.StringVar(&f.patchesFile, "kustomize-patches", "", "Kustomize: YAML file of a list of patches as Argo CD's kustomize.patches: "+
		"{patch: INLINE | path: FILE (in the repository, relative to the source path), target: {group, version, kind, name, namespace, labelSelector, annotationSelector}}")
}

// changed reports whether any Kustomize flag was given.
func (f *kustomizeFlags) changed(cmd *cobra.Command) bool {
	for _, n := range kustomizeFlagNames {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

// apply writes the flags that ch says were given onto k; each replaces
// its field.
func (f *kustomizeFlags) apply(ch func(string) bool, k *pb.KustomizeSource) error {
	var err error
	if ch("nameprefix") {
		k.NamePrefix = f.namePrefix
	}
	if ch("namesuffix") {
		k.NameSuffix = f.nameSuffix
	}
	if ch("kustomize-image") {
		k.Images = f.images
	}
	if ch("kustomize-namespace") {
		k.Namespace = f.namespace
	}
	if ch("kustomize-enable-helm") {
		k.EnableHelm = f.enableHelm
	}
	if ch("kustomize-common-label") {
		if k.CommonLabels, err = parseKV(f.labels, "--kustomize-common-label"); err != nil {
			return err
		}
	}
	if ch("kustomize-common-annotation") {
		if k.CommonAnnotations, err = parseKV(f.annotations, "--kustomize-common-annotation"); err != nil {
			return err
		}
	}
	if ch("kustomize-replica") {
		if k.Replicas, err = parseReplicas(f.replicas); err != nil {
			return err
		}
	}
	if ch("kustomize-patches") {
		if k.Patches, err = readPatches(f.patchesFile); err != nil {
			return err
		}
	}
	return nil
}

func parseReplicas(list []string) ([]*pb.KustomizeReplica, error) {
	var out []*pb.KustomizeReplica
	for _, s := range list {
		name, count, ok := strings.Cut(s, "=")
		n, err := strconv.ParseInt(count, 10, 32)
		if !ok || name == "" || err != nil {
			return nil, fmt.Errorf("--kustomize-replica %q: want NAME=COUNT", s)
		}
		out = append(out, &pb.KustomizeReplica{Name: name, Count: int32(n)})
	}
	return out, nil
}

// readPatches reads a YAML list of patches (Argo CD's field names).
func readPatches(file string) ([]*pb.KustomizePatch, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var list []any
	if err := yaml.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s: want a list of patches: %w", file, err)
	}
	j, err := yaml.Marshal(map[string]any{"patches": list})
	if err == nil {
		j, err = yaml.YAMLToJSON(j)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var k pb.KustomizeSource
	if err := protojson.Unmarshal(j, &k); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return k.GetPatches(), nil
}

// options returns the renderer's overrides for an offline render.
func (f *kustomizeFlags) options() (render.KustomizeOptions, error) {
	var k pb.KustomizeSource
	given := func(name string) bool { return name != "kustomize-patches" || f.patchesFile != "" }
	if err := f.apply(given, &k); err != nil {
		return render.KustomizeOptions{}, err
	}
	return wire.KustomizeFromPB(&k, nil), nil
}

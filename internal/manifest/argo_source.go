package manifest

import (
	"strings"

	"sigs.k8s.io/yaml"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// argoSource reads an Argo CD spec.source, or one of spec.sources
// (multi), where ref may name it.
func argoSource(src *node, multi bool) (*pb.ApplicationSource, error) {
	s := &pb.ApplicationSource{}
	var err error
	if s.RepoUrl, err = src.str("repoURL"); err != nil {
		return nil, err
	}
	if s.RepoUrl == "" {
		return nil, errAt(src.at("repoURL"), ErrRequired)
	}
	if s.TargetRevision, err = src.str("targetRevision"); err != nil {
		return nil, err
	}
	if s.Path, err = src.str("path"); err != nil {
		return nil, err
	}
	if s.Chart, err = src.str("chart"); err != nil {
		return nil, err
	}
	if s.TargetRevision == "" && s.Chart == "" {
		s.TargetRevision = "HEAD" // a chart's empty version is its latest
	}
	if _, ok := src.get("plugin"); ok {
		return nil, errAt(src.at("plugin"), notSupportedYet("config management plugins"))
	}
	if !multi {
		src.unsupported("ref", "only meaningful in spec.sources, ignored")
	} else if s.Ref, err = src.str("ref"); err != nil {
		return nil, err
	}
	src.unsupported("name", "not supported, ignored")
	// As Argo CD, a section of zero values counts as not set.
	var set []string
	for _, k := range []string{"directory", "helm", "kustomize"} {
		if v, ok := src.m[k]; ok && !isZero(v) {
			set = append(set, k)
		}
	}
	if len(set) > 1 {
		return nil, errAt(src.path, invalid("more than one of directory, helm and kustomize is set (%s)", strings.Join(set, ", ")))
	}
	dir, err := argoDirectory(src)
	if err != nil {
		return nil, err
	}
	helm, err := argoHelm(src)
	if err != nil {
		return nil, err
	}
	kust, err := argoKustomize(src)
	if err != nil {
		return nil, err
	}
	if len(set) == 1 {
		switch set[0] {
		case "directory":
			s.Kind, s.Directory = pb.SourceKind_SOURCE_KIND_DIRECTORY, dir
		case "helm":
			s.Kind, s.Helm = pb.SourceKind_SOURCE_KIND_HELM, helm
		case "kustomize":
			s.Kind, s.Kustomize = pb.SourceKind_SOURCE_KIND_KUSTOMIZE, kust
		}
	}
	return s, src.done()
}

func argoDirectory(src *node) (*pb.DirectorySource, error) {
	n, err := src.obj("directory")
	if err != nil || n == nil {
		return &pb.DirectorySource{}, err
	}
	d := &pb.DirectorySource{}
	if d.Recurse, err = n.boolean("recurse"); err != nil {
		return nil, err
	}
	if d.Include, err = globs(n, "include"); err != nil {
		return nil, err
	}
	if d.Exclude, err = globs(n, "exclude"); err != nil {
		return nil, err
	}
	if d.Jsonnet, err = argoJsonnet(n); err != nil {
		return nil, err
	}
	return d, n.done()
}

// argoJsonnet reads directory.jsonnet: extVars, tlas (name, value, code)
// and libs.
func argoJsonnet(dir *node) (*pb.JsonnetSource, error) {
	n, err := dir.obj("jsonnet")
	if err != nil || n == nil {
		return nil, err
	}
	j := &pb.JsonnetSource{}
	if j.ExtVars, err = jsonnetVars(n, "extVars"); err != nil {
		return nil, err
	}
	if j.Tlas, err = jsonnetVars(n, "tlas"); err != nil {
		return nil, err
	}
	if j.Libs, err = n.strs("libs"); err != nil {
		return nil, err
	}
	if len(j.ExtVars)+len(j.Tlas)+len(j.Libs) == 0 {
		j = nil
	}
	return j, n.done()
}

func jsonnetVars(n *node, key string) ([]*pb.JsonnetVar, error) {
	list, err := n.objs(key)
	if err != nil {
		return nil, err
	}
	var out []*pb.JsonnetVar
	for _, v := range list {
		jv := &pb.JsonnetVar{}
		if jv.Name, err = v.str("name"); err != nil {
			return nil, err
		}
		if jv.Name == "" {
			return nil, errAt(v.at("name"), ErrRequired)
		}
		if jv.Value, err = v.str("value"); err != nil {
			return nil, err
		}
		if jv.Code, err = v.boolean("code"); err != nil {
			return nil, err
		}
		if err := v.done(); err != nil {
			return nil, err
		}
		out = append(out, jv)
	}
	return out, nil
}

// globs reads Argo CD's include/exclude: a glob, or several as {a,b}.
func globs(n *node, key string) ([]string, error) {
	if l, isList := n.m[key].([]any); isList && l != nil {
		return n.strs(key)
	}
	s, err := n.str(key)
	if err != nil || s == "" {
		return nil, err
	}
	if inner, ok := strings.CutPrefix(s, "{"); ok && strings.HasSuffix(inner, "}") {
		var out []string
		for _, g := range strings.Split(strings.TrimSuffix(inner, "}"), ",") {
			if g = strings.TrimSpace(g); g != "" {
				out = append(out, g)
			}
		}
		return out, nil
	}
	return []string{s}, nil
}

var helmUnsupported = []string{"fileParameters", "passCredentials", "ignoreMissingValueFiles", "version", "namespace", "skipTests", "skipSchemaValidation"}

func argoHelm(src *node) (*pb.HelmSource, error) {
	n, err := src.obj("helm")
	if err != nil || n == nil {
		return &pb.HelmSource{}, err
	}
	h := &pb.HelmSource{}
	if h.ReleaseName, err = n.str("releaseName"); err != nil {
		return nil, err
	}
	if h.ValueFiles, err = n.strs("valueFiles"); err != nil {
		return nil, err
	}
	if h.Values, err = yamlText(n, "values"); err != nil {
		return nil, err
	}
	obj, err := yamlText(n, "valuesObject")
	if err != nil {
		return nil, err
	}
	if obj != "" {
		if h.Values != "" {
			n.warn(n.at("values"), "ignored: valuesObject is set and takes precedence")
		}
		h.Values = obj
	}
	params, err := n.objs("parameters")
	if err != nil {
		return nil, err
	}
	for _, p := range params {
		name, err := p.str("name")
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, errAt(p.at("name"), ErrRequired)
		}
		value, err := p.str("value")
		if err != nil {
			return nil, err
		}
		p.unsupported("forceString", "not supported: the value is read as helm --set reads it")
		if err := p.done(); err != nil {
			return nil, err
		}
		h.Parameters = append(h.Parameters, name+"="+value)
	}
	if h.SkipCrds, err = n.boolean("skipCrds"); err != nil {
		return nil, err
	}
	if h.KubeVersion, err = n.str("kubeVersion"); err != nil {
		return nil, err
	}
	if h.ApiVersions, err = n.strs("apiVersions"); err != nil {
		return nil, err
	}
	for _, k := range helmUnsupported {
		n.unsupported(k, "not supported, ignored")
	}
	return h, n.done()
}

// yamlText reads a string, or a mapping written out as YAML.
func yamlText(n *node, key string) (string, error) {
	if m, isMap := n.m[key].(map[string]any); isMap {
		n.get(key)
		if len(m) == 0 {
			return "", nil
		}
		b, err := yaml.Marshal(m)
		if err != nil {
			return "", errAt(n.at(key), invalid("%v", err))
		}
		return string(b), nil
	}
	return n.str(key)
}

var kustomizeUnsupported = []string{"version", "forceCommonLabels", "forceCommonAnnotations", "components", "ignoreMissingComponents",
	"commonAnnotationsEnvsubst", "labelWithoutSelector", "labelIncludeTemplates", "kubeVersion", "apiVersions"}

func argoKustomize(src *node) (*pb.KustomizeSource, error) {
	n, err := src.obj("kustomize")
	if err != nil || n == nil {
		return &pb.KustomizeSource{}, err
	}
	k := &pb.KustomizeSource{}
	for _, f := range []struct {
		key string
		to  *string
	}{{"namePrefix", &k.NamePrefix}, {"nameSuffix", &k.NameSuffix}, {"namespace", &k.Namespace}} {
		if *f.to, err = n.str(f.key); err != nil {
			return nil, err
		}
	}
	if k.CommonLabels, err = n.strMap("commonLabels"); err != nil {
		return nil, err
	}
	if k.CommonAnnotations, err = n.strMap("commonAnnotations"); err != nil {
		return nil, err
	}
	if k.Images, err = n.strs("images"); err != nil {
		return nil, err
	}
	if k.Patches, err = kustomizePatches(n); err != nil {
		return nil, err
	}
	replicas, err := n.objs("replicas")
	if err != nil {
		return nil, err
	}
	for _, r := range replicas {
		rep := &pb.KustomizeReplica{}
		if rep.Name, err = r.str("name"); err != nil {
			return nil, err
		}
		if rep.Count, err = r.int32("count"); err != nil {
			return nil, err
		}
		if err := r.done(); err != nil {
			return nil, err
		}
		k.Replicas = append(k.Replicas, rep)
	}
	// Flotilla's opt-in (Argo CD has it as the global build option
	// --enable-helm).
	if k.EnableHelm, err = n.boolean("enableHelm"); err != nil {
		return nil, err
	}
	for _, key := range kustomizeUnsupported {
		n.unsupported(key, "not supported, ignored")
	}
	return k, n.done()
}

func kustomizePatches(n *node) ([]*pb.KustomizePatch, error) {
	list, err := n.objs("patches")
	if err != nil {
		return nil, err
	}
	var out []*pb.KustomizePatch
	for _, p := range list {
		kp := &pb.KustomizePatch{}
		if kp.Patch, err = p.str("patch"); err != nil {
			return nil, err
		}
		if kp.Path, err = p.str("path"); err != nil {
			return nil, err
		}
		p.unsupported("options", "not supported, ignored")
		t, err := p.obj("target")
		if err != nil {
			return nil, err
		}
		if t != nil {
			kp.Target = &pb.KustomizeSelector{}
			for _, f := range []struct {
				key string
				to  *string
			}{{"group", &kp.Target.Group}, {"version", &kp.Target.Version}, {"kind", &kp.Target.Kind}, {"name", &kp.Target.Name},
				{"namespace", &kp.Target.Namespace}, {"labelSelector", &kp.Target.LabelSelector}, {"annotationSelector", &kp.Target.AnnotationSelector}} {
				if *f.to, err = t.str(f.key); err != nil {
					return nil, err
				}
			}
			if err := t.done(); err != nil {
				return nil, err
			}
		}
		if err := p.done(); err != nil {
			return nil, err
		}
		out = append(out, kp)
	}
	return out, nil
}

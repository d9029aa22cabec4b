package manifest

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// inClusterServer is Argo CD's address of the cluster it runs in.
const inClusterServer = "https://kubernetes.default.svc"

// argoApplication reads an Argo CD Application.
func argoApplication(root *node, md meta) (*pb.Application, error) {
	root.unsupported("operation", "not supported, ignored (an operation is not run; use flotilla app sync)")
	spec, err := root.obj("spec")
	if err != nil {
		return nil, err
	}
	if spec == nil {
		return nil, errAt("spec", ErrRequired)
	}
	app := &pb.Application{Name: md.name, Labels: md.labels, Annotations: md.annotations, Finalizers: md.finalizers}
	if app.Project, err = spec.str("project"); err != nil {
		return nil, err
	}
	if app.Project == "" {
		app.Project = "default"
	}
	if app.Source, app.Sources, err = argoSources(spec); err != nil {
		return nil, err
	}
	dst, err := spec.obj("destination")
	if err != nil {
		return nil, err
	}
	if dst == nil {
		return nil, errAt("spec.destination", ErrRequired)
	}
	if app.Destination, err = argoDestination(dst); err != nil {
		return nil, err
	}
	if app.SyncPolicy, err = argoSyncPolicy(spec); err != nil {
		return nil, err
	}
	if app.IgnoreDifferences, err = argoIgnoreDifferences(spec); err != nil {
		return nil, err
	}
	if app.RevisionHistoryLimit, err = spec.int32("revisionHistoryLimit"); err != nil {
		return nil, err
	}
	spec.unsupported("info", "not shown, ignored")
	return app, spec.done()
}

// argoSources reads spec.sources (several sources: what they render is
// deployed together) or else spec.source. As Argo CD, sources wins when
// both are set; the other is reported as ignored.
func argoSources(spec *node) (*pb.ApplicationSource, []*pb.ApplicationSource, error) {
	if v, ok := spec.get("sources"); ok && !isZero(v) {
		list, err := spec.objs("sources")
		if err != nil {
			return nil, nil, err
		}
		spec.unsupported("source", "ignored: spec.sources is set (as Argo CD)")
		out := make([]*pb.ApplicationSource, len(list))
		for i, n := range list {
			if out[i], err = argoSource(n, true); err != nil {
				return nil, nil, err
			}
		}
		return nil, out, nil
	}
	src, err := spec.obj("source")
	if err != nil {
		return nil, nil, err
	}
	if src == nil {
		return nil, nil, errAt("spec.source", ErrRequired)
	}
	s, err := argoSource(src, false)
	return s, nil, err
}

func argoDestination(dst *node) (*pb.Destination, error) {
	server, err := dst.str("server")
	if err != nil {
		return nil, err
	}
	name, err := dst.str("name")
	if err != nil {
		return nil, err
	}
	d := &pb.Destination{}
	if d.Namespace, err = dst.str("namespace"); err != nil {
		return nil, err
	}
	inServer := strings.TrimSuffix(server, "/") == inClusterServer
	switch {
	case server != "" && name != "" && !(inServer && name == "in-cluster"):
		return nil, errAt(dst.path, invalid("both server and name are set: set only name"))
	case server != "" && !inServer:
		return nil, errAt(dst.at("server"), fmt.Errorf("%w: %s: Flotilla addresses clusters by registered name (use destination.name)", ErrNotSupported, server))
	case inServer || name == "in-cluster":
		d.InCluster = true
	case name != "":
		d.Clusters = []string{name}
	default:
		return nil, errAt(dst.path, fmt.Errorf("name (or server %s): %w", inClusterServer, ErrRequired))
	}
	return d, dst.done()
}

func argoSyncPolicy(spec *node) (*pb.SyncPolicy, error) {
	sp, err := spec.obj("syncPolicy")
	if err != nil || sp == nil {
		return nil, err
	}
	p := &pb.SyncPolicy{}
	auto, err := sp.obj("automated")
	if err != nil {
		return nil, err
	}
	if auto != nil {
		enabled := true
		if _, set := auto.get("enabled"); set {
			if enabled, err = auto.boolean("enabled"); err != nil {
				return nil, err
			}
		}
		p.Automated = enabled
		if p.Prune, err = auto.boolean("prune"); err != nil {
			return nil, err
		}
		if p.SelfHeal, err = auto.boolean("selfHeal"); err != nil {
			return nil, err
		}
		if p.AllowEmpty, err = auto.boolean("allowEmpty"); err != nil {
			return nil, err
		}
		if err := auto.done(); err != nil {
			return nil, err
		}
	}
	opts, err := sp.strs("syncOptions")
	if err != nil {
		return nil, err
	}
	for i, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, errAt(fmt.Sprintf("%s[%d]", sp.at("syncOptions"), i), invalid("%q is not KEY=VALUE", o))
		}
		if p.Options == nil {
			p.Options = map[string]string{}
		}
		p.Options[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if p.Retry, err = argoRetry(sp); err != nil {
		return nil, err
	}
	sp.unsupported("managedNamespaceMetadata", "not supported, ignored")
	if err := sp.done(); err != nil {
		return nil, err
	}
	if proto.Equal(p, &pb.SyncPolicy{}) {
		return nil, nil
	}
	return p, nil
}

func argoRetry(sp *node) (*pb.RetryPolicy, error) {
	r, err := sp.obj("retry")
	if err != nil || r == nil {
		return nil, err
	}
	p := &pb.RetryPolicy{}
	if p.Limit, err = r.int32("limit"); err != nil {
		return nil, err
	}
	r.unsupported("refresh", "not supported, ignored")
	b, err := r.obj("backoff")
	if err != nil {
		return nil, err
	}
	if b != nil {
		if p.BackoffSeconds, err = b.seconds("duration"); err != nil {
			return nil, err
		}
		if p.Factor, err = b.int32("factor"); err != nil {
			return nil, err
		}
		if p.MaxBackoffSeconds, err = b.seconds("maxDuration"); err != nil {
			return nil, err
		}
		if err := b.done(); err != nil {
			return nil, err
		}
	}
	return p, r.done()
}

func argoIgnoreDifferences(spec *node) ([]*pb.IgnoreDifference, error) {
	list, err := spec.objs("ignoreDifferences")
	if err != nil {
		return nil, err
	}
	var out []*pb.IgnoreDifference
	for _, n := range list {
		d := &pb.IgnoreDifference{}
		for _, f := range []struct {
			key string
			to  *string
		}{{"group", &d.Group}, {"kind", &d.Kind}, {"name", &d.Name}, {"namespace", &d.Namespace}} {
			if *f.to, err = n.str(f.key); err != nil {
				return nil, err
			}
		}
		for _, f := range []struct {
			key string
			to  *[]string
		}{{"jsonPointers", &d.JsonPointers}, {"jqPathExpressions", &d.JqPathExpressions}, {"managedFieldsManagers", &d.ManagedFieldsManagers}} {
			if *f.to, err = n.strs(f.key); err != nil {
				return nil, err
			}
		}
		if err := n.done(); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

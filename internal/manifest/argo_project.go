package manifest

import (
	"strings"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

var projectUnsupported = []string{"roles", "signatureKeys", "orphanedResources", "sourceNamespaces",
	"destinationServiceAccounts", "permitOnlyProjectScopedClusters"}

// argoProject reads an Argo CD AppProject.
func argoProject(root *node, md meta) (*pb.Project, error) {
	md.notKept("a Project", true, true, true)
	p := &pb.Project{Name: md.name}
	spec, err := root.obj("spec")
	if err != nil || spec == nil {
		return p, err
	}
	if p.Description, err = spec.str("description"); err != nil {
		return nil, err
	}
	if p.SourceRepos, err = spec.strs("sourceRepos"); err != nil {
		return nil, err
	}
	if p.Destinations, err = projectDestinations(spec); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		key string
		to  *[]*pb.GroupKind
	}{
		{"clusterResourceWhitelist", &p.ClusterResourceWhitelist},
		{"clusterResourceBlacklist", &p.ClusterResourceBlacklist},
		{"namespaceResourceWhitelist", &p.NamespaceResourceWhitelist},
		{"namespaceResourceBlacklist", &p.NamespaceResourceBlacklist},
	} {
		if *f.to, err = groupKinds(spec, f.key); err != nil {
			return nil, err
		}
	}
	if p.SyncWindows, err = syncWindows(spec); err != nil {
		return nil, err
	}
	for _, k := range projectUnsupported {
		spec.unsupported(k, "not supported, ignored")
	}
	return p, spec.done()
}

func projectDestinations(spec *node) ([]*pb.ProjectDestination, error) {
	list, err := spec.objs("destinations")
	if err != nil {
		return nil, err
	}
	var out []*pb.ProjectDestination
	for _, n := range list {
		server, err := n.str("server")
		if err != nil {
			return nil, err
		}
		name, err := n.str("name")
		if err != nil {
			return nil, err
		}
		d := &pb.ProjectDestination{}
		if d.Namespace, err = n.str("namespace"); err != nil {
			return nil, err
		}
		if err := n.done(); err != nil {
			return nil, err
		}
		switch {
		case name != "":
			d.Cluster = name
		case server == "*":
			d.Cluster = "*"
		case strings.TrimSuffix(server, "/") == inClusterServer:
			d.Cluster = "in-cluster"
		case server != "":
			n.warn(n.path, "server %s matches no cluster (Flotilla addresses clusters by registered name: use name), entry dropped", server)
			continue
		default:
			n.warn(n.path, "names no cluster (set name), entry dropped")
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

func groupKinds(spec *node, key string) ([]*pb.GroupKind, error) {
	list, err := spec.objs(key)
	if err != nil {
		return nil, err
	}
	var out []*pb.GroupKind
	for _, n := range list {
		gk := &pb.GroupKind{}
		if gk.Group, err = n.str("group"); err != nil {
			return nil, err
		}
		if gk.Kind, err = n.str("kind"); err != nil {
			return nil, err
		}
		if err := n.done(); err != nil {
			return nil, err
		}
		out = append(out, gk)
	}
	return out, nil
}

func syncWindows(spec *node) ([]*pb.SyncWindow, error) {
	list, err := spec.objs("syncWindows")
	if err != nil {
		return nil, err
	}
	var out []*pb.SyncWindow
	for _, n := range list {
		w := &pb.SyncWindow{}
		for _, f := range []struct {
			key string
			to  *string
		}{{"kind", &w.Kind}, {"schedule", &w.Schedule}, {"duration", &w.Duration}, {"timeZone", &w.TimeZone}} {
			if *f.to, err = n.str(f.key); err != nil {
				return nil, err
			}
		}
		for _, f := range []struct {
			key string
			to  *[]string
		}{{"applications", &w.Applications}, {"clusters", &w.Clusters}, {"namespaces", &w.Namespaces}} {
			if *f.to, err = n.strs(f.key); err != nil {
				return nil, err
			}
		}
		if w.ManualSync, err = n.boolean("manualSync"); err != nil {
			return nil, err
		}
		n.unsupported("andOperator", "not supported, ignored (a window matches an application by any of its lists)")
		n.unsupported("description", "not shown, ignored")
		if err := n.done(); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

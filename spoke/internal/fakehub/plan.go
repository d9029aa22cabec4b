package fakehub

import (
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// PlanSpec describes a plan the way the hub builds one.
type PlanSpec struct {
	App, Cluster, Revision string
	// YAML documents of the desired objects.
	YAML string
	// Live is the previous inventory (YAML), for prunes.
	Live    string
	Options *pb.PlanOptions
	Ignore  []*pb.IgnoreDifference
}

// Plan computes a plan with pkg/plan, encodes it with internal/wire and
// hashes it with its options and ignore rules, as the hub does.
func Plan(t testing.TB, s PlanSpec) *pb.Plan {
	t.Helper()
	decode := func(name, y string) []*unstructured.Unstructured {
		if y == "" {
			return nil
		}
		objs, err := object.Decode(name, []byte(y), object.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		return objs
	}
	opts := s.Options
	if opts == nil {
		opts = &pb.PlanOptions{}
	}
	live := decode("live.yaml", s.Live)
	for _, u := range live { // the hub's inventory holds namespaces as applied
		if u.GetNamespace() == "" && !clusterScoped[u.GetKind()] {
			u.SetNamespace(opts.GetDefaultNamespace())
		}
	}
	p, err := plan.Compute(decode("desired.yaml", s.YAML), live, plan.Options{
		Prune: opts.GetPrune(), PruneLast: opts.GetPruneLast(), CreateNamespace: opts.GetCreateNamespace(), Namespace: opts.GetDefaultNamespace()})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := wire.PlanToProto(p)
	if err != nil {
		t.Fatal(err)
	}
	msg.Application, msg.Cluster, msg.Revision = s.App, s.Cluster, s.Revision
	msg.Options, msg.Ignore = proto.Clone(opts).(*pb.PlanOptions), s.Ignore
	b, err := json.Marshal(struct {
		Engine string
		Opts   *pb.PlanOptions
		Ignore []*pb.IgnoreDifference
	}{p.Hash, msg.Options, msg.Ignore})
	if err != nil {
		t.Fatal(err)
	}
	msg.Hash = object.HashBytes(b)
	return msg
}

// clusterScoped are the cluster-scoped kinds the tests use.
var clusterScoped = map[string]bool{"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"CustomResourceDefinition": true, "PersistentVolume": true}

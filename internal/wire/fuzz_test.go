package wire

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// FuzzPlanFromProto decodes hostile plan bytes as a spoke does: decoding
// never panics, and a plan it accepts re-encodes and decodes to the same
// actions and objects (nothing is lost or changed on the wire).
func FuzzPlanFromProto(f *testing.F) {
	desired, err := object.Decode("m.yaml", []byte(manifests), object.DefaultLimits())
	if err != nil {
		f.Fatal(err)
	}
	p, err := plan.Compute(desired, nil, plan.Options{})
	if err != nil {
		f.Fatal(err)
	}
	msg, err := PlanToProto(p)
	if err != nil {
		f.Fatal(err)
	}
	seed, err := proto.Marshal(msg)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		in := &pb.Plan{}
		if proto.Unmarshal(b, in) != nil {
			return
		}
		got, err := PlanFromProto(in)
		if err != nil {
			return // refused: fine, as long as it did not panic
		}
		again, err := PlanToProto(got)
		if err != nil {
			t.Fatalf("an accepted plan does not re-encode: %v", err)
		}
		back, err := PlanFromProto(again)
		if err != nil {
			t.Fatalf("a re-encoded plan is refused: %v", err)
		}
		a, z := got.Actions(), back.Actions()
		if len(a) != len(z) {
			t.Fatalf("round trip: %d actions, then %d", len(a), len(z))
		}
		for i := range a {
			if a[i].Action != z[i].Action || a[i].Hash != z[i].Hash || a[i].Name != z[i].Name || a[i].Kind != z[i].Kind {
				t.Fatalf("action %d changed: %+v → %+v", i, a[i], z[i])
			}
		}
	})
}

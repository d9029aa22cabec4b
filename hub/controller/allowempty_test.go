package controller

import (
	"strings"
	"testing"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func TestEmptyRefusal(t *testing.T) {
	act := func(a pb.ActionType) *pb.PlanAction { return &pb.PlanAction{Action: a} }
	prunesOnly := &pb.Plan{Steps: []*pb.PlanStep{{Actions: []*pb.PlanAction{act(pb.ActionType_ACTION_TYPE_PRUNE), act(pb.ActionType_ACTION_TYPE_PRUNE)}}}}
	mixed := &pb.Plan{Steps: []*pb.PlanStep{{Actions: []*pb.PlanAction{act(pb.ActionType_ACTION_TYPE_PRUNE)}}, {Actions: []*pb.PlanAction{act(pb.ActionType_ACTION_TYPE_APPLY)}}}}
	hookOnly := &pb.Plan{Steps: []*pb.PlanStep{{Actions: []*pb.PlanAction{act(pb.ActionType_ACTION_TYPE_HOOK), act(pb.ActionType_ACTION_TYPE_PRUNE)}}}}
	app := func(allow bool) *pb.Application {
		return &pb.Application{SyncPolicy: &pb.SyncPolicy{AllowEmpty: allow}}
	}
	for _, tc := range []struct {
		name    string
		a       *pb.Application
		p       *pb.Plan
		refused bool
	}{
		{"prunes everything", app(false), prunesOnly, true},
		{"allowEmpty", app(true), prunesOnly, false},
		{"something applied", app(false), mixed, false},
		{"a hook runs", app(false), hookOnly, false},
		{"empty plan prunes nothing", app(false), &pb.Plan{}, false},
	} {
		got := emptyRefusal(tc.a, tc.p)
		if (got != "") != tc.refused {
			t.Errorf("%s: refusal %q, want refused=%v", tc.name, got, tc.refused)
		}
		if tc.refused && !strings.Contains(got, "allowEmpty") || tc.refused && !strings.Contains(got, "prune all 2") {
			t.Errorf("%s: refusal %q should count the prunes and name allowEmpty", tc.name, got)
		}
	}
}

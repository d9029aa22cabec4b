package server

import (
	"context"
	"slices"

	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/hub/declare"
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	"github.com/flotilla-gitops/flotilla/pkg/rbac"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Config serves ConfigService and ApplicationSetService: declared objects
// through the controller's declaration engine.
type Config struct {
	pb.UnimplementedConfigServiceServer
	pb.UnimplementedApplicationSetServiceServer
	Core *Core
	Ctrl *controller.Controller
}

// Apply creates or updates what the documents declare, each document on
// its own; with prune, deletes what the API declared before, matches the
// selector and the documents no longer hold.
func (s *Config) Apply(ctx context.Context, r *pb.ApplyRequest) (*pb.ApplyResponse, error) {
	if r.GetPrune() && len(r.GetPruneSelector()) == 0 {
		return nil, invalid("prune: needs prune_selector (flotilla apply --prune -l KEY=VALUE), so that nothing unrelated is deleted")
	}
	var objs []manifest.Object
	out := &pb.ApplyResponse{}
	keep := map[string]bool{} // what the documents name, refused or not: never pruned
	unread := false           // a document refused before its name was read
	for _, d := range r.GetDocuments() {
		got, errs := manifest.Parse(d.GetFile(), []byte(d.GetContent()))
		objs = append(objs, got...)
		for _, err := range errs {
			res := refusedDoc(err)
			keep[declare.Key(res.GetKind(), res.GetName())] = true
			unread = unread || res.GetName() == ""
			out.Results = append(out.Results, res)
		}
	}
	for _, o := range objs {
		keep[declare.Key(o.Kind, o.Name)] = true
	}
	objs, dup := declare.Unique(objs)
	out.Results = append(out.Results, dup...)
	objs, denied := s.authorizeApply(ctx, objs, r.GetForce())
	out.Results = append(out.Results, denied...)
	eng := s.Ctrl.Declarations()
	out.Results = append(out.Results, eng.Apply(objs, declare.Options{DryRun: r.GetDryRun(), Force: r.GetForce()})...)
	switch {
	case r.GetPrune() && unread:
		// What the unreadable document declares cannot be known: pruning
		// could delete it.
		out.Results = append(out.Results, &pb.ApplyResult{Action: declare.Refused,
			Error: "prune: skipped, a document could not be read (fix it and apply again)"})
	case r.GetPrune():
		would, err := eng.PruneAPI(keep, r.GetPruneSelector(), true)
		if err != nil {
			return nil, grpcErr(err)
		}
		if err := mayPrune(ctx, would, s); err != nil {
			out.Results = append(out.Results, &pb.ApplyResult{Action: declare.Refused, Error: "prune: " + status.Convert(err).Message()})
			return out, nil
		}
		pruned, err := eng.PruneAPI(keep, r.GetPruneSelector(), r.GetDryRun())
		if err != nil {
			return nil, grpcErr(err)
		}
		out.Results = append(out.Results, pruned...)
	}
	return out, nil
}

func refusedDoc(err error) *pb.ApplyResult {
	r := &pb.ApplyResult{Action: declare.Refused, Error: err.Error()}
	if de, ok := err.(*manifest.DocError); ok {
		r.File, r.Index, r.Kind, r.Name = de.File, int32(de.Index), de.Kind, de.Name
	}
	return r
}

// GetApplicationSet reads a set.
func (s *Config) GetApplicationSet(_ context.Context, r *pb.GetApplicationSetRequest) (*pb.GetApplicationSetResponse, error) {
	a, err := s.Core.Store.GetApplicationSet(r.GetName())
	return &pb.GetApplicationSetResponse{ApplicationSet: a}, grpcErr(err)
}

// ListApplicationSets lists the sets.
func (s *Config) ListApplicationSets(ctx context.Context, _ *pb.ListApplicationSetsRequest) (*pb.ListApplicationSetsResponse, error) {
	as, err := s.Core.Store.ListApplicationSets()
	as = slices.DeleteFunc(as, func(a *pb.ApplicationSet) bool {
		return !canGet(ctx, "applicationsets", rbac.ProjectObject(appSetProject(a), a.GetName()))
	})
	return &pb.ListApplicationSetsResponse{ApplicationSets: as}, grpcErr(err)
}

// DeleteApplicationSet deletes a set and the applications it generated.
func (s *Config) DeleteApplicationSet(_ context.Context, r *pb.DeleteApplicationSetRequest) (*pb.DeleteApplicationSetResponse, error) {
	return &pb.DeleteApplicationSetResponse{}, grpcErr(s.Ctrl.Declarations().DeleteAppSet(r.GetName(), r.GetForce()))
}

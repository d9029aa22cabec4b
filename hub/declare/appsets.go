package declare

import (
	"encoding/json"
	"errors"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/hub/validate"
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func (e *Engine) applyAppSet(obj manifest.Object, o Options) (string, string, error) {
	s := proto.Clone(obj.AppSet).(*pb.ApplicationSet)
	s.Warnings = obj.Warnings
	if err := validate.Subdomain("applicationset", s.GetName()); err != nil {
		return "", "", err
	}
	old, err := e.store.GetApplicationSet(s.GetName())
	found := err == nil
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", "", err
	case found:
		if err := CheckOwner("applicationset", s.GetName(), old.GetManagedBy(), o); err != nil {
			return "", "", err
		}
		s.CreatedAt, s.Applications, s.Error = old.GetCreatedAt(), old.GetApplications(), old.GetError()
	default:
		s.CreatedAt = timestamppb.Now()
	}
	s.ManagedBy = keepOwner(old.GetManagedBy(), o)
	action, diff := change(old, s, found, manifest.ApplicationSetDocument, (*pb.ApplicationSet).GetManagedBy, "applicationset "+s.GetName())
	if action == Unchanged || o.DryRun {
		return action, diff, nil
	}
	if err := e.store.PutApplicationSet(s); err != nil {
		return "", "", err
	}
	e.hooks.AppSetChanged(s.GetName())
	return action, diff, nil
}

// SyncPolicy is what a set's syncPolicy.applicationsSync allows it to do
// to the applications it generates (Argo CD's policies: create-only,
// create-update, create-delete, sync).
func SyncPolicy(s *pb.ApplicationSet) (update, remove bool) {
	var spec struct {
		SyncPolicy struct {
			ApplicationsSync string `json:"applicationsSync"`
		} `json:"syncPolicy"`
	}
	if json.Unmarshal([]byte(s.GetSpecJson()), &spec) != nil {
		return true, true
	}
	switch spec.SyncPolicy.ApplicationsSync {
	case "create-only":
		return false, false
	case "create-update":
		return true, false
	case "create-delete":
		return false, true
	}
	return true, true
}

// PreserveResources reports whether a set's applications keep their
// resources when the set deletes them (syncPolicy.preserveResourcesOnDeletion).
func PreserveResources(s *pb.ApplicationSet) bool {
	var spec struct {
		SyncPolicy struct {
			PreserveResourcesOnDeletion bool `json:"preserveResourcesOnDeletion"`
		} `json:"syncPolicy"`
	}
	return json.Unmarshal([]byte(s.GetSpecJson()), &spec) == nil && spec.SyncPolicy.PreserveResourcesOnDeletion
}

// DeleteAppSet deletes a set through the API (refused when Git declares
// it, unless forced) and the applications it generated, with their
// resources unless the set preserves them.
func (e *Engine) DeleteAppSet(name string, force bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.store.GetApplicationSet(name)
	if err != nil {
		return err
	}
	if err := CheckOwner("applicationset", name, s.GetManagedBy(), Options{Force: force}); err != nil {
		return err
	}
	return e.deleteAppSet(s)
}

func (e *Engine) deleteAppSet(s *pb.ApplicationSet) error {
	owner := &pb.ManagedBy{Kind: OwnerApplicationSet, Name: s.GetName()}
	none := func(string, string, map[string]string) bool { return false }
	if _, err := e.prune(owner, none, false, func(*pb.Application) bool { return !PreserveResources(s) }); err != nil {
		return err
	}
	return e.store.DeleteApplicationSet(s.GetName())
}

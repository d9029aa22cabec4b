package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Pending is a plan computed for a target but not assigned yet: waiting
// for approval, a rollout step or a dependency. The plan itself is in the
// plans bucket.
type Pending struct {
	PlanHash    string          `json:"planHash"`
	ContentHash string          `json:"contentHash"`
	Revision    string          `json:"revision"`
	Inventory   []InventoryItem `json:"inventory,omitempty"`
	Approved    bool            `json:"approved,omitempty"`
}

// PutPending stores a target's pending plan (and the plan), replacing any.
func (s *Store) PutPending(app, cluster string, p *pb.Plan, pend Pending) error {
	b, err := json.Marshal(pend)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketPlans).Get([]byte(p.GetHash())) == nil {
			if err := put(tx, bucketPlans, []byte(p.GetHash()), p); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketPending).Put(TargetKey(app, cluster), b)
	})
}

// GetPending reads a target's pending plan (ErrNotFound if none).
func (s *Store) GetPending(app, cluster string) (Pending, error) {
	var p Pending
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketPending).Get(TargetKey(app, cluster))
		if v == nil {
			return fmt.Errorf("pending plan of %s/%s: %w", app, cluster, ErrNotFound)
		}
		return json.Unmarshal(v, &p)
	})
	return p, err
}

// DeletePending drops a target's pending plan.
func (s *Store) DeletePending(app, cluster string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketPending).Delete(TargetKey(app, cluster)) })
}

// ListPending returns the pending plans by target key ("app/cluster").
func (s *Store) ListPending() (map[string]Pending, error) {
	out := map[string]Pending{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(k, v []byte) error {
			var p Pending
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("pending %s: %w", k, err)
			}
			out[string(k)] = p
			return nil
		})
	})
	return out, err
}

// SplitTargetKey splits "app/cluster".
func SplitTargetKey(k string) (app, cluster string) {
	app, cluster, _ = strings.Cut(k, "/")
	return app, cluster
}

// PutRollout stores an application's rollout.
func (s *Store) PutRollout(r *pb.Rollout) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bucketRollouts, []byte(r.GetApplication()), r) })
}

// GetRollout reads an application's rollout (ErrNotFound if none).
func (s *Store) GetRollout(app string) (*pb.Rollout, error) {
	r := &pb.Rollout{}
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketRollouts, []byte(app), r) })
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("rollout of %s: %w", app, ErrNotFound)
	}
	return r, err
}

// ListRollouts returns every rollout.
func (s *Store) ListRollouts() ([]*pb.Rollout, error) {
	return list(s, bucketRollouts, func() *pb.Rollout { return &pb.Rollout{} })
}

package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Desired is what a target should run: the plan the spoke must enforce.
// Generation grows with every assignment (also a re-sync of the same plan),
// so a spoke can tell a new request from a resend.
type Desired struct {
	PlanHash    string          `json:"planHash"`
	ContentHash string          `json:"contentHash"` // desired objects and options, without prunes: what "changed" means
	Revision    string          `json:"revision"`
	Generation  uint64          `json:"generation"`
	InitiatedBy string          `json:"initiatedBy"`
	HistoryID   uint64          `json:"historyId"`
	Inventory   []InventoryItem `json:"inventory,omitempty"` // objects the plan applies, for the next prune set
	// Latest is the ContentHash Git renders now ("" when never recorded):
	// when it differs, the target is OutOfSync with Git whatever runs
	// (a manual sync not yet made, a rollout not there yet, a revert).
	Latest string `json:"latest,omitempty"`
}

// BehindGit reports whether Git has moved past what the target runs.
func (d Desired) BehindGit() bool { return d.Latest != "" && d.Latest != d.ContentHash }

// setLatest records, inside tx, the content Git renders now for a target
// that has a desired state (no-op otherwise, or when unchanged).
func setLatest(tx *bolt.Tx, key []byte, content string) error {
	b := tx.Bucket(bucketDesired)
	v := b.Get(key)
	if v == nil {
		return nil
	}
	var d Desired
	if err := json.Unmarshal(v, &d); err != nil {
		return err
	}
	if d.Latest == content {
		return nil
	}
	d.Latest = content
	j, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return b.Put(key, j)
}

// InventoryItem is an applied object with the annotations that decide how
// it is pruned (sync-wave, sync-options, hooks).
type InventoryItem struct {
	APIVersion  string            `json:"apiVersion"`
	Kind        string            `json:"kind"`
	Namespace   string            `json:"namespace,omitempty"`
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// GetDesired reads a target's desired state (ErrNotFound if none).
func (s *Store) GetDesired(app, cluster string) (Desired, error) {
	var d Desired
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDesired).Get(TargetKey(app, cluster))
		if v == nil {
			return fmt.Errorf("desired state of %s/%s: %w", app, cluster, ErrNotFound)
		}
		return json.Unmarshal(v, &d)
	})
	return d, err
}

// Assigned says whether the hub assigned a plan to a target (its desired
// state exists), without decoding it: a check on every spoke report.
func (s *Store) Assigned(app, cluster string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketDesired).Get(TargetKey(app, cluster)) != nil
		return nil
	})
	return ok, err
}

// Assign makes plan the desired state of a target and records a history
// entry, atomically. It returns the new Desired.
func (s *Store) Assign(app, cluster string, p *pb.Plan, content, revision, by string, inventory []InventoryItem, now func() *pb.HistoryEntry) (Desired, error) {
	var d Desired
	// Batch: concurrent assignments share one commit (fn may run again, so
	// it starts from scratch).
	err := s.db.Batch(func(tx *bolt.Tx) error {
		d = Desired{}
		if err := appExists(tx, app); err != nil {
			return err
		}
		if tx.Bucket(bucketPlans).Get([]byte(p.GetHash())) == nil {
			if err := put(tx, bucketPlans, []byte(p.GetHash()), p); err != nil {
				return err
			}
		}
		key := TargetKey(app, cluster)
		if v := tx.Bucket(bucketDesired).Get(key); v != nil {
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketPending).Delete(key); err != nil { // an assignment supersedes what waited
			return err
		}
		hb, err := tx.Bucket(bucketHistory).CreateBucketIfNotExists(key)
		if err != nil {
			return err
		}
		id, err := hb.NextSequence()
		if err != nil {
			return err
		}
		h := now()
		h.Id, h.Cluster, h.Revision, h.PlanHash, h.InitiatedBy = int64(id), cluster, revision, p.GetHash(), by
		h.Result = pb.OperationPhase_OPERATION_PHASE_RUNNING
		b, err := marshal(h)
		if err != nil {
			return err
		}
		if err := hb.Put(itob(id), b); err != nil {
			return err
		}
		if err := trimHistory(tx, hb, app, id); err != nil {
			return err
		}
		latest := d.Latest // a revert assigns older content: Git stays where it is
		if latest == "" {
			latest = content
		}
		d = Desired{PlanHash: p.GetHash(), ContentHash: content, Revision: revision, Generation: d.Generation + 1, InitiatedBy: by, HistoryID: id,
			Inventory: inventory, Latest: latest}
		j, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketDesired).Put(key, j)
	})
	return d, err
}

// PutTarget stores a target's status.
func (s *Store) PutTarget(t *pb.TargetStatus) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return put(tx, bucketTargets, TargetKey(t.GetApplication(), t.GetCluster()), t)
	})
}

// UpdateTarget changes a target's status with fn atomically (creating it).
// Concurrent updates share a commit (bbolt Batch); fn must be idempotent.
func (s *Store) UpdateTarget(app, cluster string, fn func(*pb.TargetStatus)) (*pb.TargetStatus, error) {
	return s.Reconciled(app, cluster, "", fn)
}

// Reconciled is UpdateTarget that also records, when latest is set, the
// content Git renders now (Desired.Latest), in the same transaction.
func (s *Store) Reconciled(app, cluster, latest string, fn func(*pb.TargetStatus)) (*pb.TargetStatus, error) {
	return s.updateTarget(app, cluster, latest, false, func(t *pb.TargetStatus, _ Desired) { fn(t) })
}

// UpdateAssignedTarget is UpdateTarget for a spoke's report: it changes
// only a target the hub assigned a plan to (its desired state exists) and
// returns ErrNotFound, creating nothing, for any other.
// fn sees the target's desired state as it is in the same transaction: a
// report judged against it cannot race an assignment.
func (s *Store) UpdateAssignedTarget(app, cluster string, fn func(*pb.TargetStatus, Desired)) (*pb.TargetStatus, error) {
	return s.updateTarget(app, cluster, "", true, fn)
}

// appExists refuses to write a target of an application that is gone: a
// reconcile or report racing a deletion must not bring its target back.
func appExists(tx *bolt.Tx, app string) error {
	if tx.Bucket(bucketApplications).Get([]byte(app)) == nil {
		return fmt.Errorf("application %q: %w", app, ErrNotFound)
	}
	return nil
}

func (s *Store) updateTarget(app, cluster, latest string, assigned bool, fn func(*pb.TargetStatus, Desired)) (*pb.TargetStatus, error) {
	var t *pb.TargetStatus
	err := s.db.Batch(func(tx *bolt.Tx) error {
		var d Desired
		if err := appExists(tx, app); err != nil {
			return err
		}
		if assigned { // a report: judged by the desired state (its inventory not decoded)
			v := tx.Bucket(bucketDesired).Get(TargetKey(app, cluster))
			if v == nil {
				return fmt.Errorf("target %s/%s: no plan assigned: %w", app, cluster, ErrNotFound)
			}
			var head struct{ PlanHash, ContentHash, Latest string }
			if err := json.Unmarshal(v, &head); err != nil {
				return err
			}
			d = Desired{PlanHash: head.PlanHash, ContentHash: head.ContentHash, Latest: head.Latest}
		}
		if latest != "" {
			if err := setLatest(tx, TargetKey(app, cluster), latest); err != nil {
				return err
			}
		}
		t = &pb.TargetStatus{}
		if v := tx.Bucket(bucketTargets).Get(TargetKey(app, cluster)); v != nil {
			if err := unmarshal(v, t); err != nil {
				return err
			}
		}
		t.Application, t.Cluster = app, cluster
		fn(t, d)
		return put(tx, bucketTargets, TargetKey(app, cluster), t)
	})
	return t, err
}

// ListTargets returns the targets of an application ("" for all).
func (s *Store) ListTargets(app string) ([]*pb.TargetStatus, error) {
	if app == "" {
		return list(s, bucketTargets, func() *pb.TargetStatus { return &pb.TargetStatus{} })
	}
	// Keys are app "/" cluster and names have no "/": one seek, then the
	// application's targets only.
	var out []*pb.TargetStatus
	prefix := TargetKey(app, "")
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketTargets).Cursor()
		for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
			t := &pb.TargetStatus{}
			if err := proto.Unmarshal(v, t); err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// DeleteTarget forgets a target (its cluster left the destination): its
// status, desired state, pending plan and history.
func (s *Store) DeleteTarget(app, cluster string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, err := deleteTarget(tx, TargetKey(app, cluster))
		return err
	})
	if err == nil {
		s.signalFreed()
	}
	return err
}

// RenderRecord is a cached render: the paths it read with their Git
// object hashes, and the objects it produced (JSON).
type RenderRecord struct {
	Commit  string            `json:"commit"`
	Params  string            `json:"params"`
	Reads   map[string]string `json:"reads"`
	Objects []json.RawMessage `json:"objects"`
}

// GetRender reads the cached render under key.
func (s *Store) GetRender(key string) (*RenderRecord, error) {
	var r RenderRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRenders).Get([]byte(key))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &r)
	})
	return &r, err
}

// PutRender caches a render under key.
func (s *Store) PutRender(key string, r *RenderRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRenders).Put([]byte(key), b) })
}

// GetTarget reads a target's status (ErrNotFound if none).
func (s *Store) GetTarget(app, cluster string) (*pb.TargetStatus, error) {
	t := &pb.TargetStatus{}
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketTargets, TargetKey(app, cluster), t) })
	return t, err
}

package store

import (
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// GCOptions say what only the caller knows.
type GCOptions struct {
	// RenderKeys are the render cache keys the applications use now: when
	// not nil, every other render is deleted (nil keeps all renders). A
	// render stored after the caller listed them may go too: renders are
	// a cache, it costs one render again.
	RenderKeys map[string]bool
}

// GCStats say what a collection kept and freed.
type GCStats struct {
	Plans, PlansFreed     int
	Renders, RendersFreed int
	// Orphans are records of targets, rollouts, removals and discovery
	// whose application or cluster no longer exists (left by a reconcile
	// that ran while it was deleted).
	Orphans    int
	BytesFreed int64 // values deleted (the file shrinks at the next compaction)
}

// GC deletes what nothing references any more: records of deleted
// applications and clusters, plans no desired state, pending plan,
// history entry or rollout names, and (with opts.RenderKeys) renders no
// application uses. Mark and sweep run in one write transaction, so an
// Assign or PutPending (which store a plan with its reference in one
// transaction) is wholly before it, its plan marked, or wholly after it,
// its plan stored again if it was swept.
func (s *Store) GC(opts GCOptions) (GCStats, error) {
	var st GCStats
	err := s.db.Update(func(tx *bolt.Tx) error {
		st = GCStats{}
		orphans, err := sweepOrphans(tx)
		if err != nil {
			return err
		}
		st.Orphans, st.BytesFreed = orphans.Keys, orphans.Bytes
		live, err := markPlans(tx)
		if err != nil {
			return err
		}
		kept, gone, err := sweep(tx.Bucket(bucketPlans), func(k []byte) bool { return live[string(k)] })
		if err != nil {
			return err
		}
		st.Plans, st.PlansFreed, st.BytesFreed = kept, gone.Keys, st.BytesFreed+gone.Bytes
		if opts.RenderKeys == nil {
			return nil
		}
		kept, gone, err = sweep(tx.Bucket(bucketRenders), func(k []byte) bool { return opts.RenderKeys[string(k)] })
		st.Renders, st.RendersFreed, st.BytesFreed = kept, gone.Keys, st.BytesFreed+gone.Bytes
		return err
	})
	return st, err
}

// sweepOrphans deletes, inside tx, what is kept for an application or a
// cluster that no longer exists (targets, rollouts, conditions, discovery). Removals of a deleted application stay
// (its spokes must still drop it); those of a removed cluster go.
func sweepOrphans(tx *bolt.Tx) (freed, error) {
	apps, clusters := keySet(tx.Bucket(bucketApplications)), keySet(tx.Bucket(bucketClusters))
	f, err := deleteTargetsWhere(tx, func(app, cluster string) bool { return !apps[app] || !clusters[cluster] })
	if err != nil {
		return f, err
	}
	for _, o := range []struct {
		bucket []byte
		live   func(k string) bool
	}{
		{bucketRollouts, func(k string) bool { return apps[k] }},
		{bucketConditions, func(k string) bool { return apps[k] }},
		{bucketDiscovery, func(k string) bool { return clusters[k] }},
		{bucketRemovals, func(k string) bool { c, _, _ := strings.Cut(k, "/"); return clusters[c] }},
	} {
		_, gone, err := sweep(tx.Bucket(o.bucket), func(k []byte) bool { return o.live(string(k)) })
		if err != nil {
			return f, err
		}
		f.add(gone)
	}
	return f, nil
}

// markPlans returns the plan hashes something references: desired
// states, pending plans, history entries and rollouts (the plan each
// target moves to and the one it reverts to).
func markPlans(tx *bolt.Tx) (map[string]bool, error) {
	live := map[string]bool{}
	for _, name := range [][]byte{bucketDesired, bucketPending} {
		err := tx.Bucket(name).ForEach(func(k, v []byte) error {
			var ref struct {
				PlanHash string `json:"planHash"`
			}
			if err := json.Unmarshal(v, &ref); err != nil {
				return fmt.Errorf("%s %s: %w", name, k, err)
			}
			live[ref.PlanHash] = true
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if err := markHistory(tx, live); err != nil {
		return nil, err
	}
	return live, tx.Bucket(bucketRollouts).ForEach(func(k, v []byte) error {
		r := &pb.Rollout{}
		if err := unmarshal(v, r); err != nil {
			return fmt.Errorf("rollout %s: %w", k, err)
		}
		for _, step := range r.GetSteps() {
			for _, t := range step.GetTargets() {
				live[t.GetPlanHash()], live[t.GetPreviousPlanHash()] = true, true
			}
		}
		return nil
	})
}

func markHistory(tx *bolt.Tx, live map[string]bool) error {
	h := tx.Bucket(bucketHistory)
	return h.ForEachBucket(func(k []byte) error {
		return h.Bucket(k).ForEach(func(id, v []byte) error {
			e := &pb.HistoryEntry{}
			if err := unmarshal(v, e); err != nil {
				return fmt.Errorf("history %s #%x: %w", k, id, err)
			}
			live[e.GetPlanHash()] = true
			return nil
		})
	})
}

// sweep deletes the keys of b (not nested buckets) keep refuses and
// returns how many it kept and what it freed.
func sweep(b *bolt.Bucket, keep func(k []byte) bool) (int, freed, error) {
	var gone [][]byte
	var f freed
	kept := 0
	err := b.ForEach(func(k, v []byte) error {
		switch {
		case v == nil: // a nested bucket
		case keep(k):
			kept++
		default:
			gone = append(gone, append([]byte(nil), k...))
			f.add(freed{1, int64(len(v))})
		}
		return nil
	})
	if err != nil {
		return 0, f, err
	}
	for _, k := range gone {
		if err := b.Delete(k); err != nil {
			return 0, f, err
		}
	}
	return kept, f, nil
}

func keySet(b *bolt.Bucket) map[string]bool {
	out := map[string]bool{}
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		out[string(k)] = true
	}
	return out
}

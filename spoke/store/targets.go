package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// PutTarget makes plan (proto-encoded, identified by t.PlanHash) the
// target's plan with t's generation and run, dropping the previous plan
// when no target uses it any more.
func (s *Store) PutTarget(t Target, plan []byte) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		targets, plans := tx.Bucket(bucketTargets), tx.Bucket(bucketPlans)
		var old Target
		found, err := getJSON(targets, t.App, &old)
		if err != nil {
			return err
		}
		if plans.Get([]byte(t.PlanHash)) == nil {
			if err := plans.Put([]byte(t.PlanHash), plan); err != nil {
				return err
			}
		}
		if err := putJSON(targets, t.App, t); err != nil {
			return err
		}
		if found && old.PlanHash != t.PlanHash {
			return gcPlan(tx, old.PlanHash)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("target %s: save plan %s: %w", t.App, short(t.PlanHash), err)
	}
	return nil
}

// SaveRun stores the run of the target's current plan. It fails with
// ErrSuperseded when the target has moved to another plan, generation or
// run (runs are told apart by StartedAt) meanwhile, so a stale run never
// overwrites a newer one.
func (s *Store) SaveRun(app, planHash string, generation uint64, run Run) error {
	return s.saveRun(app, planHash, generation, run, false)
}

// StartRun replaces the run of the target's current plan with a new one
// (a sync of the same plan again).
func (s *Store) StartRun(app, planHash string, generation uint64, run Run) error {
	return s.saveRun(app, planHash, generation, run, true)
}

func (s *Store) saveRun(app, planHash string, generation uint64, run Run, restart bool) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTargets)
		var t Target
		found, err := getJSON(b, app, &t)
		if err != nil {
			return err
		}
		if !found || t.PlanHash != planHash || t.Generation != generation || (!restart && !t.Run.StartedAt.Equal(run.StartedAt)) {
			return ErrSuperseded
		}
		t.Run = run
		return putJSON(b, app, t)
	})
	if err != nil {
		return fmt.Errorf("target %s: save run of plan %s: %w", app, short(planHash), err)
	}
	return nil
}

// Target returns an application's target and its plan.
func (s *Store) Target(app string) (Target, []byte, error) {
	var t Target
	var plan []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		found, err := getJSON(tx.Bucket(bucketTargets), app, &t)
		if err != nil {
			return err
		}
		if !found {
			return ErrNotFound
		}
		p := tx.Bucket(bucketPlans).Get([]byte(t.PlanHash))
		if p == nil {
			return fmt.Errorf("plan %s: %w", short(t.PlanHash), ErrNotFound)
		}
		plan = append([]byte(nil), p...)
		return nil
	})
	if err != nil {
		return Target{}, nil, fmt.Errorf("target %s: %w", app, err)
	}
	return t, plan, nil
}

// Targets lists every target (without plans), ordered by application.
func (s *Store) Targets() ([]Target, error) {
	var out []Target
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTargets).ForEach(func(k, _ []byte) error {
			var t Target
			if _, err := getJSON(tx.Bucket(bucketTargets), string(k), &t); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	return out, nil
}

// DeleteTarget forgets an application: its target, inventory and (unless
// shared) plan.
func (s *Store) DeleteTarget(app string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		var t Target
		found, err := getJSON(tx.Bucket(bucketTargets), app, &t)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketInventory).Delete([]byte(app)); err != nil {
			return err
		}
		if !found {
			return nil
		}
		if err := tx.Bucket(bucketTargets).Delete([]byte(app)); err != nil {
			return err
		}
		return gcPlan(tx, t.PlanHash)
	})
	if err != nil {
		return fmt.Errorf("target %s: delete: %w", app, err)
	}
	return nil
}

// gcPlan deletes a plan no target uses.
func gcPlan(tx *bolt.Tx, hash string) error {
	used := false
	err := tx.Bucket(bucketTargets).ForEach(func(k, _ []byte) error {
		var t Target
		if _, err := getJSON(tx.Bucket(bucketTargets), string(k), &t); err != nil {
			return err
		}
		used = used || t.PlanHash == hash
		return nil
	})
	if err != nil || used {
		return err
	}
	return tx.Bucket(bucketPlans).Delete([]byte(hash))
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

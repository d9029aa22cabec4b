// Package store is the spoke's own bbolt database: per application the
// plan it enforces (and its generation), how far the current run got (step,
// hooks that already ran), and the inventory of objects it applied. It is
// what lets a spoke killed mid-wave resume at that wave, and keep enforcing
// its last plans while the hub is unreachable.
//
// Buckets: plans (plan hash → proto-encoded flotilla.v1.Plan, shared by
// targets), targets (application → JSON Target), inventory (application →
// JSON []Ref, in apply order).
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is written in the meta bucket; a spoke refuses a database
// of another schema rather than misread it.
const SchemaVersion = "1"

var (
	bucketMeta      = []byte("meta")
	bucketPlans     = []byte("plans")
	bucketTargets   = []byte("targets")
	bucketInventory = []byte("inventory")
	allBuckets      = [][]byte{bucketMeta, bucketPlans, bucketTargets, bucketInventory}
)

// Store is the spoke's database. Its methods are safe for concurrent use.
type Store struct{ db *bolt.DB }

// Open opens (creating if needed) DIR/spoke.db. It waits up to timeout for
// another process holding the file to let go.
func Open(dir string, timeout time.Duration) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	path := filepath.Join(dir, "spoke.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get([]byte("schema")); v != nil && string(v) != SchemaVersion {
			return fmt.Errorf("%w: %s has schema %s, this spoke reads %s", ErrSchema, path, v, SchemaVersion)
		}
		return meta.Put([]byte("schema"), []byte(SchemaVersion))
	})
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Check verifies bbolt's own consistency (tx.Check) and the store's
// invariants: every record decodes, every target's plan is present, every
// stored plan is used by a target.
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("bbolt: %w", err)
		}
		used := map[string]bool{}
		err := tx.Bucket(bucketTargets).ForEach(func(k, v []byte) error {
			var t Target
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("target %s: %w", k, err)
			}
			if t.App != string(k) {
				return fmt.Errorf("target %s: record names %q", k, t.App)
			}
			if tx.Bucket(bucketPlans).Get([]byte(t.PlanHash)) == nil {
				return fmt.Errorf("target %s: plan %s: %w", k, t.PlanHash, ErrNotFound)
			}
			used[t.PlanHash] = true
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketPlans).ForEach(func(k, _ []byte) error {
			if !used[string(k)] {
				return fmt.Errorf("plan %s: stored but used by no target", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketInventory).ForEach(func(k, v []byte) error {
			var refs []Ref
			if err := json.Unmarshal(v, &refs); err != nil {
				return fmt.Errorf("inventory %s: %w", k, err)
			}
			return nil
		})
	})
}

func getJSON(b *bolt.Bucket, key string, into any) (bool, error) {
	v := b.Get([]byte(key))
	if v == nil {
		return false, nil
	}
	if err := json.Unmarshal(v, into); err != nil {
		return true, fmt.Errorf("%s: decode: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", key, err)
	}
	return b.Put([]byte(key), data)
}

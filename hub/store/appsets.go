package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// PutApplicationSet creates or replaces an ApplicationSet.
func (s *Store) PutApplicationSet(a *pb.ApplicationSet) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bucketAppSets, []byte(a.GetName()), a) })
}

// UpdateApplicationSet changes a stored ApplicationSet in one transaction.
func (s *Store) UpdateApplicationSet(name string, fn func(*pb.ApplicationSet)) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		a := &pb.ApplicationSet{}
		if err := get(tx, bucketAppSets, []byte(name), a); err != nil {
			return err
		}
		fn(a)
		return put(tx, bucketAppSets, []byte(name), a)
	})
}

// GetApplicationSet reads one ApplicationSet.
func (s *Store) GetApplicationSet(name string) (*pb.ApplicationSet, error) {
	a := &pb.ApplicationSet{}
	return a, s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketAppSets, []byte(name), a) })
}

// ListApplicationSets lists ApplicationSets by name.
func (s *Store) ListApplicationSets() ([]*pb.ApplicationSet, error) {
	return list(s, bucketAppSets, func() *pb.ApplicationSet { return &pb.ApplicationSet{} })
}

// DeleteApplicationSet removes an ApplicationSet (not what it generated).
func (s *Store) DeleteApplicationSet(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAppSets).Get([]byte(name)) == nil {
			return fmt.Errorf("applicationset %q: %w", name, ErrNotFound)
		}
		return tx.Bucket(bucketAppSets).Delete([]byte(name))
	})
}

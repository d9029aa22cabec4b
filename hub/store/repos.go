package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// PutRepository stores a repository's credentials.
func (s *Store) PutRepository(r *pb.Repository, upsert bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if !upsert && tx.Bucket(bucketRepos).Get([]byte(r.GetUrl())) != nil {
			return fmt.Errorf("repository %s: %w", r.GetUrl(), ErrExists)
		}
		return put(tx, bucketRepos, []byte(r.GetUrl()), r)
	})
}

// GetRepository reads a repository's credentials (ErrNotFound if none).
func (s *Store) GetRepository(url string) (*pb.Repository, error) {
	r := &pb.Repository{}
	return r, s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketRepos, []byte(url), r) })
}

// ListRepositories lists repositories with their secrets.
func (s *Store) ListRepositories() ([]*pb.Repository, error) {
	return list(s, bucketRepos, func() *pb.Repository { return &pb.Repository{} })
}

// RemoveRepository deletes a repository's credentials.
func (s *Store) RemoveRepository(url string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketRepos).Get([]byte(url)) == nil {
			return fmt.Errorf("repository %s: %w", url, ErrNotFound)
		}
		return tx.Bucket(bucketRepos).Delete([]byte(url))
	})
}

// PutRemoval records that a cluster's spoke must drop an application
// (deleting its objects when prune), until the spoke no longer runs it.
func (s *Store) PutRemoval(cluster, app string, prune bool) error {
	v := "keep"
	if prune {
		v = "prune"
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRemovals).Put([]byte(cluster+"/"+app), []byte(v)) })
}

// Removals returns a cluster's pending removals: application → prune.
func (s *Store) Removals(cluster string) (map[string]bool, error) {
	out := map[string]bool{}
	prefix := []byte(cluster + "/")
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRemovals).Cursor()
		for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
			out[string(k[len(prefix):])] = string(v) == "prune"
		}
		return nil
	})
	return out, err
}

// DeleteRemoval forgets a removal the spoke has carried out.
func (s *Store) DeleteRemoval(cluster, app string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRemovals).Delete([]byte(cluster + "/" + app)) })
}

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

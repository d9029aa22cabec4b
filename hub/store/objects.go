package store

import (
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// PutApplication creates (or with upsert replaces) an application.
func (s *Store) PutApplication(a *pb.Application, upsert bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if !upsert && tx.Bucket(bucketApplications).Get([]byte(a.GetName())) != nil {
			return fmt.Errorf("application %q: %w", a.GetName(), ErrExists)
		}
		return put(tx, bucketApplications, []byte(a.GetName()), a)
	})
}

// GetApplication reads one application.
func (s *Store) GetApplication(name string) (*pb.Application, error) {
	a := &pb.Application{}
	return a, s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketApplications, []byte(name), a) })
}

// ListApplications lists applications by name.
func (s *Store) ListApplications() ([]*pb.Application, error) {
	return list(s, bucketApplications, func() *pb.Application { return &pb.Application{} })
}

// DeleteApplication removes an application with its rollout and its
// targets (status, desired state, pending plan, history), in one
// transaction; the plans and renders only it used go at the next GC.
func (s *Store) DeleteApplication(name string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketApplications).Get([]byte(name)) == nil {
			return fmt.Errorf("application %q: %w", name, ErrNotFound)
		}
		if err := tx.Bucket(bucketApplications).Delete([]byte(name)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketRollouts).Delete([]byte(name)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketConditions).Delete([]byte(name)); err != nil {
			return err
		}
		_, err := deleteTargetsWhere(tx, func(app, _ string) bool { return app == name })
		return err
	})
	if err == nil {
		s.signalFreed()
	}
	return err
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func hasPrefix(k, p []byte) bool { return len(k) >= len(p) && string(k[:len(p)]) == string(p) }

// PutProject creates or replaces a project.
func (s *Store) PutProject(p *pb.Project, upsert bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if !upsert && tx.Bucket(bucketProjects).Get([]byte(p.GetName())) != nil {
			return fmt.Errorf("project %q: %w", p.GetName(), ErrExists)
		}
		return put(tx, bucketProjects, []byte(p.GetName()), p)
	})
}

// GetProject reads one project.
func (s *Store) GetProject(name string) (*pb.Project, error) {
	p := &pb.Project{}
	return p, s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketProjects, []byte(name), p) })
}

// ListProjects lists projects.
func (s *Store) ListProjects() ([]*pb.Project, error) {
	return list(s, bucketProjects, func() *pb.Project { return &pb.Project{} })
}

// DeleteProject removes a project.
func (s *Store) DeleteProject(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketProjects).Get([]byte(name)) == nil {
			return fmt.Errorf("project %q: %w", name, ErrNotFound)
		}
		// Its roles' tokens end with it: a project made again under the
		// name does not bring them back.
		if err := deleteTokens(tx, func(p Principal) bool {
			return p.Kind == KindProject && strings.HasPrefix(p.Name, "proj:"+name+":")
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketProjects).Delete([]byte(name))
	})
}

// AddCluster registers a cluster and its token hash in one transaction.
func (s *Store) AddCluster(c *pb.Cluster, token string) error {
	pj, err := json.Marshal(Principal{Kind: "cluster", Name: c.GetName()})
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketClusters).Get([]byte(c.GetName())) != nil {
			return fmt.Errorf("cluster %q: %w", c.GetName(), ErrExists)
		}
		if err := put(tx, bucketClusters, []byte(c.GetName()), c); err != nil {
			return err
		}
		return tx.Bucket(bucketTokens).Put([]byte(HashToken(token)), pj)
	})
}

// UpdateCluster changes a cluster record with fn, atomically.
func (s *Store) UpdateCluster(name string, fn func(*pb.Cluster)) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		c := &pb.Cluster{}
		if err := get(tx, bucketClusters, []byte(name), c); err != nil {
			return err
		}
		fn(c)
		return put(tx, bucketClusters, []byte(name), c)
	})
}

// RotateClusterToken replaces every token of a cluster with a new one.
func (s *Store) RotateClusterToken(name, token string) error {
	pj, err := json.Marshal(Principal{Kind: "cluster", Name: name})
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketClusters).Get([]byte(name)) == nil {
			return fmt.Errorf("cluster %q: %w", name, ErrNotFound)
		}
		if err := deleteTokensOf(tx, name); err != nil {
			return err
		}
		return tx.Bucket(bucketTokens).Put([]byte(HashToken(token)), pj)
	})
}

func deleteTokensOf(tx *bolt.Tx, cluster string) error {
	return deleteTokens(tx, func(p Principal) bool { return p.Kind == KindCluster && p.Name == cluster })
}

// GetCluster reads one cluster.
func (s *Store) GetCluster(name string) (*pb.Cluster, error) {
	c := &pb.Cluster{}
	return c, s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketClusters, []byte(name), c) })
}

// ListClusters lists clusters.
func (s *Store) ListClusters() ([]*pb.Cluster, error) {
	return list(s, bucketClusters, func() *pb.Cluster { return &pb.Cluster{} })
}

// RemoveCluster deletes a cluster with its tokens, discovery, pending
// removals and its targets of every application (status, desired state,
// pending plan, history), in one transaction.
func (s *Store) RemoveCluster(name string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketClusters).Get([]byte(name)) == nil {
			return fmt.Errorf("cluster %q: %w", name, ErrNotFound)
		}
		if err := deleteTokensOf(tx, name); err != nil {
			return err
		}
		if err := tx.Bucket(bucketDiscovery).Delete([]byte(name)); err != nil {
			return err
		}
		if err := deletePrefix(tx.Bucket(bucketRemovals), []byte(name+"/")); err != nil {
			return err
		}
		if _, err := deleteTargetsWhere(tx, func(_, cluster string) bool { return cluster == name }); err != nil {
			return err
		}
		return tx.Bucket(bucketClusters).Delete([]byte(name))
	})
	if err == nil {
		s.signalFreed()
	}
	return err
}

// PutPlan stores a plan by its hash (idempotent).
func (s *Store) PutPlan(p *pb.Plan) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketPlans).Get([]byte(p.GetHash())) != nil {
			return nil
		}
		return put(tx, bucketPlans, []byte(p.GetHash()), p)
	})
}

// GetPlan reads a plan by hash.
func (s *Store) GetPlan(hash string) (*pb.Plan, error) {
	p := &pb.Plan{}
	return p, s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketPlans, []byte(hash), p) })
}

package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Errors callers match with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Store is the hub's bbolt database.
type Store struct {
	db        *bolt.DB
	compacted CompactStats
	freed     chan struct{} // an application, cluster or target was deleted
}

// Open opens (creating if needed) DIR/hub.db, compacting it first when
// more than half of the file is free (Compaction says what it did).
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "hub.db")
	cs, err := compactIfSparse(path)
	if err != nil {
		return nil, fmt.Errorf("compact store %s: %w", dir, err)
	}
	db, err := bolt.Open(path, 0o600, boltOptions())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get([]byte("schema")); v != nil && string(v) != SchemaVersion {
			return fmt.Errorf("store schema %s, this hub reads %s", v, SchemaVersion)
		}
		return meta.Put([]byte("schema"), []byte(SchemaVersion))
	})
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return &Store{db: db, compacted: cs, freed: make(chan struct{}, 1)}, nil
}

func boltOptions() *bolt.Options { return &bolt.Options{Timeout: 5 * time.Second} }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Compaction says whether Open compacted the file, with its sizes.
func (s *Store) Compaction() CompactStats { return s.compacted }

// Freed is signalled (coalescing, never blocking) when an application, a
// cluster or a target was deleted: what it referenced may be garbage now.
func (s *Store) Freed() <-chan struct{} { return s.freed }

func (s *Store) signalFreed() {
	select {
	case s.freed <- struct{}{}:
	default:
	}
}

// Check verifies the database's internal consistency (bbolt's tx.Check)
// and that every record decodes.
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		decoders := map[string]func() proto.Message{
			string(bucketApplications): func() proto.Message { return &pb.Application{} },
			string(bucketProjects):     func() proto.Message { return &pb.Project{} },
			string(bucketClusters):     func() proto.Message { return &pb.Cluster{} },
			string(bucketTargets):      func() proto.Message { return &pb.TargetStatus{} },
			string(bucketPlans):        func() proto.Message { return &pb.Plan{} },
			string(bucketRollouts):     func() proto.Message { return &pb.Rollout{} },
			string(bucketAppSets):      func() proto.Message { return &pb.ApplicationSet{} },
			string(bucketAudit):        func() proto.Message { return &pb.AuditEntry{} },
		}
		for name, mk := range decoders {
			err := tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error {
				if err := proto.Unmarshal(v, mk()); err != nil {
					return fmt.Errorf("%s/%s: %w", name, k, err)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func put(tx *bolt.Tx, bucket, key []byte, m proto.Message) error {
	b, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put(key, b)
}

func get(tx *bolt.Tx, bucket, key []byte, m proto.Message) error {
	v := tx.Bucket(bucket).Get(key)
	if v == nil {
		return fmt.Errorf("%s %q: %w", strings.TrimSuffix(string(bucket), "s"), key, ErrNotFound)
	}
	return proto.Unmarshal(v, m)
}

func list[T proto.Message](s *Store, bucket []byte, mk func() T) ([]T, error) {
	var out []T
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
			m := mk()
			if err := proto.Unmarshal(v, m); err != nil {
				return err
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

func marshal(m proto.Message) ([]byte, error)   { return proto.Marshal(m) }
func unmarshal(b []byte, m proto.Message) error { return proto.Unmarshal(b, m) }

func itob(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

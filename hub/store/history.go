package store

import (
	"encoding/binary"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// DefaultHistoryLimit is how many history entries a target keeps when its
// application sets no revisionHistoryLimit (Argo CD's default).
const DefaultHistoryLimit = 10

// historyLimit is how many history entries each target of app keeps.
func historyLimit(tx *bolt.Tx, app string) (int, error) {
	v := tx.Bucket(bucketApplications).Get([]byte(app))
	if v == nil {
		return DefaultHistoryLimit, nil
	}
	a := &pb.Application{}
	if err := unmarshal(v, a); err != nil {
		return 0, fmt.Errorf("application %q: %w", app, err)
	}
	if n := a.GetRevisionHistoryLimit(); n > 0 {
		return int(n), nil
	}
	return DefaultHistoryLimit, nil
}

// trimHistory deletes, inside the transaction that added entry current,
// the entries of a target's history hb beyond the newest its application
// keeps. The entry current (what the desired state points at: rollback
// and the spoke's result need it) is never deleted.
func trimHistory(tx *bolt.Tx, hb *bolt.Bucket, app string, current uint64) error {
	keep, err := historyLimit(tx, app)
	if err != nil {
		return err
	}
	var old [][]byte
	c := hb.Cursor()
	n := 0
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		if n++; n > keep && binary.BigEndian.Uint64(k) != current {
			old = append(old, append([]byte(nil), k...))
		}
	}
	for _, k := range old {
		if err := hb.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// FinishHistory records the result of a history entry.
func (s *Store) FinishHistory(app, cluster string, id uint64, fn func(*pb.HistoryEntry)) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		hb := tx.Bucket(bucketHistory).Bucket(TargetKey(app, cluster))
		if hb == nil || hb.Get(itob(id)) == nil {
			return fmt.Errorf("history %s/%s #%d: %w", app, cluster, id, ErrNotFound)
		}
		h := &pb.HistoryEntry{}
		if err := unmarshal(hb.Get(itob(id)), h); err != nil {
			return err
		}
		fn(h)
		b, err := marshal(h)
		if err != nil {
			return err
		}
		return hb.Put(itob(id), b)
	})
}

// ListHistory returns a target's history, oldest first; cluster "" means
// every target of the application.
func (s *Store) ListHistory(app, cluster string) ([]*pb.HistoryEntry, error) {
	var out []*pb.HistoryEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketHistory).ForEachBucket(func(k []byte) error {
			a, c, _ := strings.Cut(string(k), "/")
			if a != app || (cluster != "" && c != cluster) {
				return nil
			}
			return tx.Bucket(bucketHistory).Bucket(k).ForEach(func(_, v []byte) error {
				h := &pb.HistoryEntry{}
				if err := unmarshal(v, h); err != nil {
					return err
				}
				out = append(out, h)
				return nil
			})
		})
	})
	return out, err
}

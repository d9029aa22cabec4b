package store

import (
	"strings"

	bolt "go.etcd.io/bbolt"
)

// perTarget are the buckets with one value per target key ("app/cluster");
// bucketHistory has one nested bucket per target key.
var perTarget = [][]byte{bucketTargets, bucketDesired, bucketPending}

// freed counts what a deletion removed: keys and the bytes of their values.
type freed struct {
	Keys  int
	Bytes int64
}

func (f *freed) add(o freed) { f.Keys, f.Bytes = f.Keys+o.Keys, f.Bytes+o.Bytes }

// deleteTarget deletes, inside tx, everything kept for one target: its
// status, desired state (with inventory), pending plan and history. The
// plans they referenced are left to GC.
func deleteTarget(tx *bolt.Tx, key []byte) (freed, error) {
	var f freed
	for _, name := range perTarget {
		b := tx.Bucket(name)
		if v := b.Get(key); v != nil {
			f.add(freed{1, int64(len(v))})
			if err := b.Delete(key); err != nil {
				return f, err
			}
		}
	}
	h := tx.Bucket(bucketHistory)
	hb := h.Bucket(key)
	if hb == nil {
		return f, nil
	}
	err := hb.ForEach(func(_, v []byte) error { f.add(freed{1, int64(len(v))}); return nil })
	if err != nil {
		return f, err
	}
	return f, h.DeleteBucket(key)
}

// deleteTargetsWhere deletes, inside tx, every target whose application
// and cluster match says.
func deleteTargetsWhere(tx *bolt.Tx, match func(app, cluster string) bool) (freed, error) {
	keys := map[string]bool{}
	for _, name := range append([][]byte{bucketHistory}, perTarget...) {
		err := tx.Bucket(name).ForEach(func(k, _ []byte) error {
			if app, cluster, _ := strings.Cut(string(k), "/"); match(app, cluster) {
				keys[string(k)] = true
			}
			return nil
		})
		if err != nil {
			return freed{}, err
		}
	}
	var f freed
	for k := range keys {
		n, err := deleteTarget(tx, []byte(k))
		if err != nil {
			return f, err
		}
		f.add(n)
	}
	return f, nil
}

package store

import (
	"os"

	bolt "go.etcd.io/bbolt"
)

// BucketUsage is what one bucket holds: its keys (those of nested
// buckets included, the nested buckets themselves not) and the bytes of
// those keys and values.
type BucketUsage struct {
	Keys  int
	Bytes int64
}

// Usage is what the store holds: the live data per bucket, and the file
// with how much of it is free.
type Usage struct {
	FileBytes int64
	FreeBytes int64
	Buckets   map[string]BucketUsage
}

// LiveBytes sums the buckets' bytes.
func (u Usage) LiveBytes() int64 {
	var n int64
	for _, b := range u.Buckets {
		n += b.Bytes
	}
	return n
}

// Usage measures the store.
func (s *Store) Usage() (Usage, error) {
	u := Usage{Buckets: map[string]BucketUsage{}}
	fi, err := os.Stat(s.db.Path())
	if err != nil {
		return u, err
	}
	u.FileBytes = fi.Size()
	if u.FreeBytes, err = freeBytes(s.db, u.FileBytes); err != nil {
		return u, err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			u.Buckets[string(name)] = bucketUsage(b)
			return nil
		})
	})
	return u, err
}

func bucketUsage(b *bolt.Bucket) BucketUsage {
	var u BucketUsage
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			n := bucketUsage(b.Bucket(k))
			u.Keys, u.Bytes = u.Keys+n.Keys, u.Bytes+n.Bytes+int64(len(k))
			continue
		}
		u.Keys, u.Bytes = u.Keys+1, u.Bytes+int64(len(k)+len(v))
	}
	return u
}

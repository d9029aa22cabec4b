package store

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// bucketAudit holds the audit log: id (8-byte big endian, increasing) →
// AuditEntry. Entries are removed only from the oldest end, so ids are
// contiguous from the first key to the last.
var bucketAudit = []byte("audit")

func init() { allBuckets = append(allBuckets, bucketAudit) }

// AuditRetention bounds the audit log: the oldest entries go when there
// are more than MaxEntries or they are older than MaxAge.
type AuditRetention struct {
	MaxEntries int
	MaxAge     time.Duration
}

// DefaultAuditRetention keeps 100,000 entries for at most 90 days.
func DefaultAuditRetention() AuditRetention {
	return AuditRetention{MaxEntries: 100_000, MaxAge: 90 * 24 * time.Hour}
}

// AppendAudit records e (its id is set) and drops what the retention no
// longer keeps, in one (batched) transaction.
func (s *Store) AppendAudit(e *pb.AuditEntry, keep AuditRetention) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.Id = id
		if err := put(tx, bucketAudit, itob(id), e); err != nil {
			return fmt.Errorf("audit entry %d: %w", id, err)
		}
		return trimAudit(b, id, keep, e.GetTime().AsTime())
	})
}

// trimAudit deletes, from the oldest, entries beyond keep.MaxEntries
// (counted back from last) or older than keep.MaxAge before now.
func trimAudit(b *bolt.Bucket, last uint64, keep AuditRetention, now time.Time) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.First() {
		id := binary.BigEndian.Uint64(k)
		tooMany := keep.MaxEntries > 0 && last-id >= uint64(keep.MaxEntries)
		if !tooMany && keep.MaxAge > 0 {
			e := &pb.AuditEntry{}
			if err := unmarshal(v, e); err != nil {
				return fmt.Errorf("audit entry %d: %w", id, err)
			}
			tooMany = now.Sub(e.GetTime().AsTime()) > keep.MaxAge
		}
		if !tooMany {
			return nil
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	Since                         time.Time
	Limit                         int // newest N matching entries
	Principal, Kind, Name, Method string
	FailedOnly                    bool
}

func (f AuditFilter) match(e *pb.AuditEntry) bool {
	m := e.GetMethod()
	switch {
	case f.Principal != "" && e.GetPrincipal() != f.Principal,
		f.Kind != "" && e.GetKind() != f.Kind,
		f.Name != "" && e.GetName() != f.Name,
		f.Method != "" && m != f.Method && m[strings.LastIndex(m, "/")+1:] != f.Method,
		f.FailedOnly && e.GetCode() == "OK":
		return false
	}
	return true
}

// ListAudit returns the newest f.Limit entries matching f, oldest first.
func (s *Store) ListAudit(f AuditFilter) ([]*pb.AuditEntry, error) {
	var out []*pb.AuditEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && (f.Limit <= 0 || len(out) < f.Limit); k, v = c.Prev() {
			e := &pb.AuditEntry{}
			if err := unmarshal(v, e); err != nil {
				return fmt.Errorf("audit entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if !f.Since.IsZero() && e.GetTime().AsTime().Before(f.Since) {
				break // ids follow time: everything before is older
			}
			if f.match(e) {
				out = append(out, e)
			}
		}
		return nil
	})
	slices.Reverse(out)
	return out, err
}

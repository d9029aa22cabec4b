package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// PutDiscovery records the kinds a cluster serves and reports whether
// they changed.
func (s *Store) PutDiscovery(cluster string, d *pb.DiscoveryReport) (bool, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(d)
	if err != nil {
		return false, err
	}
	changed := false
	err = s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketDiscovery)
		if bytes.Equal(bk.Get([]byte(cluster)), b) {
			return nil
		}
		changed = true
		return bk.Put([]byte(cluster), b)
	})
	return changed, err
}

// GetDiscovery returns the kinds a cluster serves (ErrNotFound before its
// spoke reported them).
func (s *Store) GetDiscovery(cluster string) (*pb.DiscoveryReport, error) {
	d := &pb.DiscoveryReport{}
	if err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bucketDiscovery, []byte(cluster), d) }); err != nil {
		return nil, err
	}
	return d, nil
}

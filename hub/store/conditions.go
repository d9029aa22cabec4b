package store

import (
	"encoding/json"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Condition is a problem that keeps an application (Cluster "") or one of
// its targets from being compared or synced (Argo CD's condition types).
type Condition struct {
	Type    string    `json:"type"`
	Message string    `json:"message"`
	Cluster string    `json:"cluster,omitempty"`
	Since   time.Time `json:"since"`
}

func sameCondition(a, b Condition) bool {
	return a.Type == b.Type && a.Message == b.Message && a.Cluster == b.Cluster
}

// SetConditions replaces an application's conditions; a condition already
// present keeps its Since. It returns the conditions that are new.
func (s *Store) SetConditions(app string, conds []Condition) (added []Condition, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketConditions)
		var old []Condition
		if v := b.Get([]byte(app)); v != nil {
			if err := json.Unmarshal(v, &old); err != nil {
				return err
			}
		}
		added = nil
		for i, c := range conds {
			if j := slices.IndexFunc(old, func(o Condition) bool { return sameCondition(o, c) }); j >= 0 {
				conds[i].Since = old[j].Since
			} else {
				added = append(added, c)
			}
		}
		if len(added) == 0 && len(old) == len(conds) {
			return nil // unchanged: no write
		}
		if len(conds) == 0 {
			return b.Delete([]byte(app))
		}
		v, err := json.Marshal(conds)
		if err != nil {
			return err
		}
		return b.Put([]byte(app), v)
	})
	return added, err
}

// GetConditions returns an application's conditions (none when unknown).
func (s *Store) GetConditions(app string) ([]Condition, error) {
	var out []Condition
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketConditions).Get([]byte(app)); v != nil {
			return json.Unmarshal(v, &out)
		}
		return nil
	})
	return out, err
}

package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Inventory returns the objects applied for an application, in the order
// they were first applied.
func (s *Store) Inventory(app string) ([]Ref, error) {
	var refs []Ref
	err := s.db.View(func(tx *bolt.Tx) error {
		_, err := getJSON(tx.Bucket(bucketInventory), app, &refs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("inventory of %s: %w", app, err)
	}
	return refs, nil
}

// UpdateInventory adds (at the end, if absent) and removes objects from an
// application's inventory in one transaction. Identity ignores the API
// version's version, as Kubernetes does; an added ref replaces an equal one.
func (s *Store) UpdateInventory(app string, add, remove []Ref) error {
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketInventory)
		var refs []Ref
		if _, err := getJSON(b, app, &refs); err != nil {
			return err
		}
		gone := map[refKey]bool{}
		for _, r := range remove {
			gone[keyOf(r)] = true
		}
		idx := map[refKey]int{}
		kept := refs[:0]
		for _, r := range refs {
			if !gone[keyOf(r)] {
				idx[keyOf(r)] = len(kept)
				kept = append(kept, r)
			}
		}
		for _, r := range add {
			if i, ok := idx[keyOf(r)]; ok {
				kept[i] = r
				continue
			}
			idx[keyOf(r)] = len(kept)
			kept = append(kept, r)
		}
		if len(kept) == 0 {
			return b.Delete([]byte(app))
		}
		return putJSON(b, app, kept)
	})
	if err != nil {
		return fmt.Errorf("inventory of %s: %w", app, err)
	}
	return nil
}

type refKey struct{ group, kind, namespace, name string }

func keyOf(r Ref) refKey {
	group := ""
	for i := len(r.APIVersion) - 1; i >= 0; i-- {
		if r.APIVersion[i] == '/' {
			group = r.APIVersion[:i]
			break
		}
	}
	return refKey{group, r.Kind, r.Namespace, r.Name}
}

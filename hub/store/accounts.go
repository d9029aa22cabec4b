package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Account is a local user: its password only as a bcrypt hash.
type Account struct {
	Name         string    `json:"name"`
	PasswordHash []byte    `json:"passwordHash"`
	Roles        []string  `json:"roles,omitempty"`
	Created      time.Time `json:"created"`
}

// CreateAccount stores a new account; ErrExists if the name is taken.
func (s *Store) CreateAccount(a Account) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketAccounts)
		if bk.Get([]byte(a.Name)) != nil {
			return fmt.Errorf("account %q: %w", a.Name, ErrExists)
		}
		return bk.Put([]byte(a.Name), b)
	})
}

// GetAccount reads one account.
func (s *Store) GetAccount(name string) (Account, error) {
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketAccounts).Get([]byte(name))
		if v == nil {
			return fmt.Errorf("account %q: %w", name, ErrNotFound)
		}
		return json.Unmarshal(v, &a)
	})
	return a, err
}

// ListAccounts returns every account, by name.
func (s *Store) ListAccounts() ([]Account, error) {
	var out []Account
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAccounts).ForEach(func(_, v []byte) error {
			var a Account
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// UpdateAccount changes an account with fn, atomically; with revoke, the
// account's sessions and tokens end in the same transaction.
func (s *Store) UpdateAccount(name string, revoke bool, fn func(*Account) error) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketAccounts)
		v := bk.Get([]byte(name))
		if v == nil {
			return fmt.Errorf("account %q: %w", name, ErrNotFound)
		}
		var a Account
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		if err := fn(&a); err != nil {
			return err
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if revoke {
			if err := deleteTokens(tx, userTokens(name)); err != nil {
				return err
			}
		}
		return bk.Put([]byte(name), b)
	})
}

// DeleteAccount removes an account with its sessions and tokens.
func (s *Store) DeleteAccount(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketAccounts)
		if bk.Get([]byte(name)) == nil {
			return fmt.Errorf("account %q: %w", name, ErrNotFound)
		}
		if err := deleteTokens(tx, userTokens(name)); err != nil {
			return err
		}
		return bk.Delete([]byte(name))
	})
}

// userTokens selects a local user's sessions and tokens.
func userTokens(name string) func(Principal) bool {
	return func(p Principal) bool { return p.Kind == KindUser && p.Issuer == "" && p.Name == name }
}

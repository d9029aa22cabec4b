package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Principal kinds.
const (
	KindAdmin   = "admin"   // the admin token
	KindCluster = "cluster" // a spoke's token
	KindUser    = "user"    // a local user's session or API token, or an SSO session
	KindProject = "project" // a project role's API token
)

// ErrExpired: the token's time is over.
var ErrExpired = errors.New("token expired")

// Principal is who a token authenticates, and the token's own record.
type Principal struct {
	Kind string `json:"kind"`
	Name string `json:"name"` // user, cluster, "admin", or proj:PROJECT:ROLE
	// ID names the token for listing and revocation (never the secret).
	ID          string    `json:"id,omitempty"`
	Issued      time.Time `json:"issued,omitzero"`
	Expires     time.Time `json:"expires,omitzero"` // zero: never
	Session     bool      `json:"session,omitempty"`
	Description string    `json:"description,omitempty"`
	// Issuer is an SSO session's issuer URL ("" for local).
	Issuer string   `json:"issuer,omitempty"`
	Groups []string `json:"groups,omitempty"` // an SSO session's groups
}

// Subject is the principal's name as RBAC and the audit log know it.
func (p Principal) Subject() string { return p.Name }

// HashToken returns the stored form of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// PutToken stores the hash of token for p.
func (s *Store) PutToken(token string, p Principal) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if p.Kind == KindUser && p.Issuer == "" && tx.Bucket(bucketAccounts).Get([]byte(p.Name)) == nil {
			return fmt.Errorf("account %q: %w", p.Name, ErrNotFound)
		}
		return tx.Bucket(bucketTokens).Put([]byte(HashToken(token)), b)
	})
}

// Authenticate returns the principal of token: ErrNotFound for a token
// the hub never issued or revoked (a local user's tokens end with the
// account), ErrExpired for one whose time is over at now.
func (s *Store) Authenticate(token string, now time.Time) (Principal, error) {
	var p Principal
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketTokens).Get([]byte(HashToken(token)))
		if v == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		if p.Kind == KindUser && p.Issuer == "" && tx.Bucket(bucketAccounts).Get([]byte(p.Name)) == nil {
			return ErrNotFound
		}
		return nil
	})
	if err == nil && !p.Expires.IsZero() && !now.Before(p.Expires) {
		return Principal{}, ErrExpired
	}
	return p, err
}

// Tokens lists the token records match selects (secrets are not stored).
func (s *Store) Tokens(match func(Principal) bool) ([]Principal, error) {
	var out []Principal
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTokens).ForEach(func(_, v []byte) error {
			var p Principal
			if json.Unmarshal(v, &p) == nil && match(p) {
				out = append(out, p)
			}
			return nil
		})
	})
	return out, err
}

// DeleteTokens revokes every token match selects and says how many.
func (s *Store) DeleteTokens(match func(Principal) bool) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		n, err = countDeleted(tx, match)
		return err
	})
	return n, err
}

// SetAdminToken makes token the only token of kind p.Kind ("admin"), in
// one transaction: the others stop authenticating.
func (s *Store) SetAdminToken(token string, p Principal) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := deleteTokens(tx, func(q Principal) bool { return q.Kind == p.Kind }); err != nil {
			return err
		}
		return tx.Bucket(bucketTokens).Put([]byte(HashToken(token)), b)
	})
}

// HasAdminToken reports whether any admin token exists.
func (s *Store) HasAdminToken() (bool, error) {
	ps, err := s.Tokens(func(p Principal) bool { return p.Kind == KindAdmin })
	return len(ps) > 0, err
}

func deleteTokens(tx *bolt.Tx, match func(Principal) bool) error {
	_, err := countDeleted(tx, match)
	return err
}

func countDeleted(tx *bolt.Tx, match func(Principal) bool) (int, error) {
	b := tx.Bucket(bucketTokens)
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var p Principal
		if json.Unmarshal(v, &p) == nil && match(p) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

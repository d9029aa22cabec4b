package store

import (
	"errors"
	"testing"
	"time"
)

// Accounts and their tokens: a user's token authenticates while the
// account exists and the token's time lasts; deleting the account, or
// updating it with revoke, ends its tokens and no one else's; a token is
// revoked by its id.
func TestAccountsAndTheirTokens(t *testing.T) {
	s := open(t, t.TempDir())
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for _, name := range []string{"alice", "bob"} {
		if err := s.CreateAccount(Account{Name: name, PasswordHash: []byte("h"), Roles: []string{"readonly"}, Created: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateAccount(Account{Name: "alice"}); !errors.Is(err, ErrExists) {
		t.Fatalf("second alice: %v, want ErrExists", err)
	}
	if err := s.PutToken("ghost-token", Principal{Kind: KindUser, Name: "ghost"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a token for no account: %v, want ErrNotFound", err)
	}
	put := func(tok string, p Principal) {
		t.Helper()
		if err := s.PutToken(tok, p); err != nil {
			t.Fatal(err)
		}
	}
	put("alice-session", Principal{Kind: KindUser, Name: "alice", ID: "s1", Session: true, Expires: now.Add(time.Hour)})
	put("alice-api", Principal{Kind: KindUser, Name: "alice", ID: "a1"})
	put("bob-api", Principal{Kind: KindUser, Name: "bob", ID: "b1"})

	if p, err := s.Authenticate("alice-session", now); err != nil || p.Name != "alice" || p.ID != "s1" {
		t.Fatalf("alice's session: %+v, %v", p, err)
	}
	if _, err := s.Authenticate("alice-session", now.Add(time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("alice's session at its expiry: %v, want ErrExpired", err)
	}
	if n, err := s.DeleteTokens(func(p Principal) bool { return p.ID == "a1" }); err != nil || n != 1 {
		t.Fatalf("revoke a1: %d, %v", n, err)
	}
	if _, err := s.Authenticate("alice-api", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoked token: %v, want ErrNotFound", err)
	}
	err := s.UpdateAccount("alice", true, func(a *Account) error { a.PasswordHash = []byte("h2"); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate("alice-session", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("alice's session after an update with revoke: %v, want ErrNotFound", err)
	}
	if a, err := s.GetAccount("alice"); err != nil || string(a.PasswordHash) != "h2" {
		t.Fatalf("alice after the update: %+v, %v", a, err)
	}
	put("alice-api2", Principal{Kind: KindUser, Name: "alice", ID: "a2"})
	if err := s.DeleteAccount("alice"); err != nil {
		t.Fatal(err)
	}
	if left, err := s.Tokens(func(p Principal) bool { return p.Name == "alice" }); err != nil || len(left) != 0 {
		t.Fatalf("alice's tokens after her account was deleted: %+v, %v", left, err)
	}
	if _, err := s.Authenticate("bob-api", now); err != nil {
		t.Fatalf("bob's token after alice went: %v", err)
	}
	if as, err := s.ListAccounts(); err != nil || len(as) != 1 || as[0].Name != "bob" {
		t.Fatalf("accounts: %+v, %v", as, err)
	}
}

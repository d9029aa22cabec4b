package server

import (
	"strconv"
	"testing"
	"time"
)

func TestLoginLimiter(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type step struct {
		at    int
		op    string // try (an attempt that fails), ok (an attempt that succeeds), forgive-user
		wantS int    // seconds the attempt must wait (0: it was let through)
	}
	for name, steps := range map[string][]step{
		"five attempts go through, the sixth waits for the first to be a window old": {
			{0, "try", 0}, {10, "try", 0}, {20, "try", 0}, {30, "try", 0}, {40, "try", 0},
			{50, "try", 250}, {299, "try", 1}, {300, "try", 0},
		},
		"attempts older than the window do not count": {
			{0, "try", 0}, {1, "try", 0}, {2, "try", 0}, {3, "try", 0}, {400, "try", 0}, {401, "try", 0},
		},
		"a refused attempt is not counted": {
			{0, "try", 0}, {1, "try", 0}, {2, "try", 0}, {3, "try", 0}, {4, "try", 0},
			{5, "try", 295}, {6, "try", 294}, {300, "try", 0},
		},
		"a success is taken back": {
			{0, "try", 0}, {1, "try", 0}, {2, "try", 0}, {3, "try", 0}, {4, "ok", 0}, {5, "try", 0}, {6, "try", 294},
		},
	} {
		t.Run(name, func(t *testing.T) {
			l := newLoginLimiter(DefaultLoginLimits())
			for i, s := range steps {
				got := l.attempt(at(s.at), "k")
				if got != time.Duration(s.wantS)*time.Second {
					t.Fatalf("step %d at %ds: wait %v, want %ds", i, s.at, got, s.wantS)
				}
				if s.op == "ok" {
					l.forgive("k", at(s.at))
				}
			}
		})
	}
}

// Keys are independent, and the map of keys is bounded: beyond maxKeys,
// expired keys are swept; while none is, a new key waits.
func TestLoginLimiterKeys(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	l := newLoginLimiter(DefaultLoginLimits())
	for range 5 {
		l.attempt(t0, "u")
	}
	if w := l.attempt(t0, "v"); w != 0 {
		t.Fatalf("another key waits %v", w)
	}
	l.succeeded("u")
	if w := l.attempt(t0, "u"); w != 0 {
		t.Fatalf("a user who logged in waits %v", w)
	}
	l = newLoginLimiter(DefaultLoginLimits())
	for i := range maxKeys {
		l.fails[strconv.Itoa(i)] = []time.Time{t0}
	}
	if w := l.attempt(t0.Add(time.Minute), "new"); w != DefaultLoginLimits().Window {
		t.Fatalf("a new key while the map is full of live keys waits %v, want a window", w)
	}
	if w := l.attempt(t0.Add(6*time.Minute), "new"); w != 0 || len(l.fails) != 1 {
		t.Fatalf("a new key once the others expired: wait %v, %d keys kept", w, len(l.fails))
	}
}

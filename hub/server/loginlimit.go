package server

import (
	"sync"
	"time"
)

// LoginLimits bound failed logins, as Argo CD does: after MaxFailures
// failures within Window for one user or from one client address, further
// attempts are refused until the oldest of them is Window old.
type LoginLimits struct {
	MaxFailures int
	Window      time.Duration
}

// DefaultLoginLimits: 5 failures in 5 minutes.
func DefaultLoginLimits() LoginLimits { return LoginLimits{MaxFailures: 5, Window: 5 * time.Minute} }

// loginLimiter remembers recent failed logins per key ("user:NAME",
// "addr:IP"). Its decisions depend only on the times it is given.
type loginLimiter struct {
	limits LoginLimits
	mu     sync.Mutex
	fails  map[string][]time.Time
}

func newLoginLimiter(l LoginLimits) *loginLimiter {
	return &loginLimiter{limits: l, fails: map[string][]time.Time{}}
}

// maxKeys bounds the keys remembered: beyond it, expired ones are swept,
// and a new key is refused while none can go.
const maxKeys = 100000

// attempt says how long key must wait at now (0: it may try) and, when it
// may, counts the attempt as a failure at once, before the password is
// checked: concurrent guesses cannot all pass the check. forgive takes a
// successful attempt back.
func (l *loginLimiter) attempt(now time.Time, key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.recentLocked(key, now)
	if len(recent) >= l.limits.MaxFailures {
		return recent[len(recent)-l.limits.MaxFailures].Add(l.limits.Window).Sub(now)
	}
	if recent == nil && len(l.fails) >= maxKeys {
		l.sweepLocked(now)
		if len(l.fails) >= maxKeys {
			return l.limits.Window
		}
	}
	l.fails[key] = append(recent, now)
	return 0
}

// forgive takes back the attempt of key at t (it succeeded).
func (l *loginLimiter) forgive(key string, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.fails[key]
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(t) {
			ts = append(ts[:i], ts[i+1:]...)
			break
		}
	}
	if len(ts) == 0 {
		delete(l.fails, key)
		return
	}
	l.fails[key] = ts
}

// succeeded forgets a key's failures (a user who logs in starts afresh).
func (l *loginLimiter) succeeded(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// sweepLocked drops every key whose failures are all older than the window.
func (l *loginLimiter) sweepLocked(now time.Time) {
	for k := range l.fails {
		l.recentLocked(k, now)
	}
}

// recentLocked drops the key's failures older than the window.
func (l *loginLimiter) recentLocked(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-l.limits.Window)) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}

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

// retryAfter says how long the keys must wait at now (0: they may try).
func (l *loginLimiter) retryAfter(now time.Time, keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		recent := l.recentLocked(k, now)
		if len(recent) >= l.limits.MaxFailures {
			if w := recent[len(recent)-l.limits.MaxFailures].Add(l.limits.Window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait
}

// failed records a failed attempt of the keys at now.
func (l *loginLimiter) failed(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.fails[k] = append(l.recentLocked(k, now), now)
	}
}

// succeeded forgets a key's failures (a user who logs in starts afresh;
// the client address keeps its record).
func (l *loginLimiter) succeeded(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
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

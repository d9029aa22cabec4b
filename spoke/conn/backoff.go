package conn

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is jittered exponential backoff with a cap: the n-th wait is
// drawn uniformly from [d/2, d] with d = min(Base·2ⁿ, Max).
type Backoff struct {
	Base, Max time.Duration
	attempt   int
}

// Next returns the next wait and counts an attempt.
func (b *Backoff) Next() time.Duration {
	d := b.Base
	for i := 0; i < b.attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	b.attempt++
	half := d / 2
	return half + rand.N(half+1)
}

// Reset starts again from Base.
func (b *Backoff) Reset() { b.attempt = 0 }

// Wait sleeps for the next backoff or until ctx ends (returning its error).
func (b *Backoff) Wait(ctx context.Context) error {
	t := time.NewTimer(b.Next())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

package main

import (
	"net/http"
	"sync/atomic"
	"time"
)

// counted is a handler that counts the requests it served and the time it
// spent on them: how often, and how long, the hub went to the Git server.
type counted struct {
	h    http.Handler
	n    atomic.Int64
	busy atomic.Int64 // nanoseconds
}

func (c *counted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c.h.ServeHTTP(w, r)
	c.n.Add(1)
	c.busy.Add(int64(time.Since(start)))
}

// read returns the requests served and the seconds spent so far.
func (c *counted) read() (int64, float64) {
	return c.n.Load(), time.Duration(c.busy.Load()).Seconds()
}

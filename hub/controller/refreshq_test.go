package controller

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Requests for a repository while its refresh runs coalesce into one more
// refresh; a repository whose refresh hangs does not hold up another.
func TestRefreshesCoalescePerRepository(t *testing.T) {
	c := &Controller{refreshes: newQueue()}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	runs := map[string]int{}
	started := make(chan string, 100)
	release := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		runQueue(ctx, c.refreshes, refreshWorkers, func(_ context.Context, url string) {
			mu.Lock()
			runs[url]++
			mu.Unlock()
			started <- url
			if url == "hung" {
				<-release
			}
		})
	}()
	defer func() { cancel(); <-stopped }()
	wait := func(want string) {
		t.Helper()
		select {
		case got := <-started:
			if got != want {
				t.Fatalf("refresh of %s started, want %s", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no refresh of %s within 10s", want)
		}
	}
	c.RefreshLater("hung")
	wait("hung")
	for range 50 {
		c.RefreshLater("hung") // while it runs: coalesced into one more
	}
	c.RefreshLater("other")
	wait("other") // not held up by the hung repository
	close(release)
	wait("hung") // the one coalesced follow-up
	c.RefreshLater("sentinel")
	wait("sentinel")
	mu.Lock()
	defer mu.Unlock()
	if got := fmt.Sprint(runs); got != "map[hung:2 other:1 sentinel:1]" {
		t.Errorf("refreshes run: %s, want hung twice (51 requests), other and sentinel once", got)
	}
}

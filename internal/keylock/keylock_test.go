package keylock

import (
	"sync"
	"testing"
)

// Work under one key runs one at a time; other keys are not held up.
func TestLocksSerialisePerKey(t *testing.T) {
	var l Locks
	var wg sync.WaitGroup
	counts := map[string]int{}
	var mu sync.Mutex // guards counts' map structure between keys
	for i := 0; i < 200; i++ {
		key := []string{"a", "b"}[i%2]
		wg.Go(func() {
			unlock := l.Lock(key)
			defer unlock()
			mu.Lock()
			n := counts[key]
			mu.Unlock()
			mu.Lock()
			counts[key] = n + 1 // lost updates would show if two held the key
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts["a"] != 100 || counts["b"] != 100 {
		t.Fatalf("counts %v, want 100 each", counts)
	}
	unlock := l.Lock("a")
	done := make(chan struct{})
	go func() { defer close(done); l.Lock("b")() }()
	<-done // b is free while a is held
	unlock()
}

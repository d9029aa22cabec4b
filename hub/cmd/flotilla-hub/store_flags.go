package main

import (
	"flag"
	"fmt"

	"github.com/flotilla-gitops/flotilla/hub"
)

// registerStoreFlags adds the flags of the hub's store upkeep.
func registerStoreFlags(fs *flag.FlagSet, cfg *hub.Config) {
	fs.DurationVar(&cfg.GCInterval, "gc-interval", cfg.GCInterval,
		"how often plans and renders nothing references any more, and what deleted applications and clusters left, are deleted from the store (also right after a deletion); 0 disables")
}

// checkStoreFlags refuses store flags that cannot work, naming the flag.
func checkStoreFlags(cfg hub.Config) error {
	if cfg.GCInterval < 0 {
		return fmt.Errorf("--gc-interval %s: want 0 (off) or a positive duration", cfg.GCInterval)
	}
	return nil
}

// Command flotilla-spoke is Flotilla's per-cluster agent: it dials the hub,
// executes the plans assigned to its cluster with server-side apply, wave
// by wave, and keeps them enforced (self-heal) and reported (health,
// drift), also while the hub is unreachable.
//
//	flotilla-spoke --hub 127.0.0.1:7443 --token-file F --kubeconfig F --data-dir DIR
//
// Without --kubeconfig it reads KUBECONFIG, as kubectl does, else the
// in-cluster ServiceAccount. See
// spoke/agent for the flags.
package main

import (
	"flag"
	"os"

	"github.com/flotilla-gitops/flotilla/spoke/agent"
)

func main() {
	os.Exit(agent.Main(flag.CommandLine, os.Args[1:]))
}

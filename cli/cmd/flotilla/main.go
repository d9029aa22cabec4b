// Command flotilla is Flotilla's CLI.
package main

import (
	"os"

	"github.com/flotilla-gitops/flotilla/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }

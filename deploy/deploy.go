// Package deploy holds Flotilla's install manifests (Kustomize directories
// hub, spoke, spoke-restricted and components, and the Helm chart
// chart/flotilla) and builds them: the CLI's `cluster add -o yaml` prints
// the spoke's, tests apply them all.
package deploy

import (
	"embed"
	"fmt"
	"io/fs"
	"path"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

//go:embed hub spoke spoke-restricted components all:chart
var manifests embed.FS

// Kustomize directories, as Build names them.
const (
	Hub             = "hub"
	Spoke           = "spoke"
	SpokeRestricted = "spoke-restricted"
)

// Build runs Kustomize over one of the embedded directories and returns
// its objects as a YAML stream, as `kubectl kustomize deploy/DIR` prints it.
func Build(dir string) ([]byte, error) {
	mem := filesys.MakeFsInMemory()
	err := fs.WalkDir(manifests, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := manifests.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(path.Join("/", p), b)
	})
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, path.Join("/", dir))
	if err != nil {
		return nil, fmt.Errorf("deploy/%s: %w", dir, err)
	}
	return m.AsYaml()
}

package images

import (
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// RefName is the annotation naming an index in an OCI layout.
const RefName = "org.opencontainers.image.ref.name"

// Index is the multi-platform image index of imgs (one per architecture,
// in the order given), each with its platform from its config.
func Index(imgs ...v1.Image) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add: img,
			Descriptor: v1.Descriptor{
				MediaType: types.OCIManifestSchema1,
				Platform:  &v1.Platform{OS: cf.OS, Architecture: cf.Architecture},
			},
		})
	}
	return idx, nil
}

// Named is an index and the name it has in a layout.
type Named struct {
	Name  string
	Index v1.ImageIndex
}

// WriteLayout writes a fresh OCI image layout at dir (what was there is
// removed) holding each index annotated with its name.
func WriteLayout(dir string, indexes ...Named) (layout.Path, error) {
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("layout %s: %w", dir, err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", fmt.Errorf("layout %s: %w", dir, err)
	}
	for _, n := range indexes {
		if err := p.AppendIndex(n.Index, layout.WithAnnotations(map[string]string{RefName: n.Name})); err != nil {
			return "", fmt.Errorf("layout %s: %s: %w", dir, n.Name, err)
		}
	}
	return p, nil
}

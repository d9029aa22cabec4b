package images

import (
	"debug/buildinfo"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Build makes the image of o.Binary: the base layer, the binary's layer and
// the SBOM's layer, run as nonroot with the binary as entrypoint.
func Build(o Options) (v1.Image, error) {
	img, _, err := BuildWithSBOM(o)
	return img, err
}

// BuildWithSBOM is Build that also returns the SBOM put in the image.
func BuildWithSBOM(o Options) (v1.Image, []byte, error) {
	sbom, bi, err := SBOM(o)
	if err != nil {
		return nil, nil, fmt.Errorf("image %s/%s: %w", o.Name, o.Arch, err)
	}
	if o.Revision == "" {
		o.Revision = setting(bi, "vcs.revision")
	}
	adds, err := addendums(o, sbom)
	if err != nil {
		return nil, nil, fmt.Errorf("image %s/%s: %w", o.Name, o.Arch, err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if img, err = mutate.Append(img, adds...); err != nil {
		return nil, nil, fmt.Errorf("image %s/%s: %w", o.Name, o.Arch, err)
	}
	if img, err = mutate.ConfigFile(img, configFile(o, img)); err != nil {
		return nil, nil, fmt.Errorf("image %s/%s: config: %w", o.Name, o.Arch, err)
	}
	return img, sbom, nil
}

// addendums are the three layers with their history.
func addendums(o Options, sbom []byte) ([]mutate.Addendum, error) {
	base, err := baseEntries(o.CABundle)
	if err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("binary: %w", err)
	}
	layers := []struct {
		entries []entry
		what    string
	}{
		{base, "flotilla-mkimages: base (nonroot 65532, CA bundle, /tmp)"},
		{[]entry{{name: o.BinaryPath(), mode: 0o755, data: bin}}, "flotilla-mkimages: " + o.BinaryPath()},
		{[]entry{{name: o.SBOMPath(), mode: 0o644, data: sbom}}, "flotilla-mkimages: " + o.SBOMPath()},
	}
	var adds []mutate.Addendum
	for _, l := range layers {
		layer, err := layer(l.entries, o.Created)
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.Addendum{
			Layer:     layer,
			History:   v1.History{CreatedBy: l.what, Created: v1.Time{Time: o.Created}},
			MediaType: types.OCILayer,
		})
	}
	return adds, nil
}

// configFile is img's config with the platform, runtime settings and labels.
func configFile(o Options, img v1.Image) *v1.ConfigFile {
	cf, err := img.ConfigFile()
	if err != nil || cf == nil {
		cf = &v1.ConfigFile{}
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = o.Arch, "linux"
	cf.Created = v1.Time{Time: o.Created}
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", NonRoot, NonRoot),
		Entrypoint: []string{o.BinaryPath()},
		WorkingDir: "/",
		Env: []string{
			"PATH=/usr/local/bin:/usr/bin:/bin",
			"SSL_CERT_FILE=" + CABundle,
		},
		Labels: labels(o),
	}
	return cf
}

func labels(o Options) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":    o.Name,
		"org.opencontainers.image.source":   o.Source,
		"org.opencontainers.image.version":  o.Version,
		"org.opencontainers.image.revision": o.Revision,
	}
	if o.Licenses != "" {
		l["org.opencontainers.image.licenses"] = o.Licenses
	}
	for k, v := range l {
		if v == "" {
			delete(l, k)
		}
	}
	return l
}

func setting(bi *buildinfo.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

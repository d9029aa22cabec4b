package images

import (
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestIndexLayout(t *testing.T) {
	bin := buildHello(t)
	var imgs []v1.Image
	want := map[string]v1.Hash{}
	for _, arch := range []string{"amd64", "arm64"} {
		o := testOptions(t, bin)
		o.Arch = arch // one binary: the index is what is tested
		img, err := Build(o)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
		if want[arch], err = img.Digest(); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := Index(imgs...)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "oci")
	if _, err := WriteLayout(dir, Named{"hello", idx}, Named{"hello2", idx}); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 2 || m.Manifests[0].Annotations[RefName] != "hello" || m.Manifests[1].Annotations[RefName] != "hello2" {
		t.Fatalf("layout's index.json: %+v", m.Manifests)
	}
	checkIndex(t, top, m.Manifests[0], want)
}

func checkIndex(t *testing.T, top v1.ImageIndex, d v1.Descriptor, want map[string]v1.Hash) {
	t.Helper()
	if d.MediaType != types.OCIImageIndex {
		t.Errorf("media type %s", d.MediaType)
	}
	idx, err := top.ImageIndex(d.Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 {
		t.Fatalf("%d manifests, want 2", len(im.Manifests))
	}
	for _, m := range im.Manifests {
		if m.Platform == nil || m.Platform.OS != "linux" || m.Digest != want[m.Platform.Architecture] {
			t.Errorf("manifest %+v, want %v", m, want)
			continue
		}
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if cf, err := img.ConfigFile(); err != nil || cf.Architecture != m.Platform.Architecture {
			t.Errorf("%s image: %v %v", m.Platform.Architecture, cf, err)
		}
	}
}

package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// entry is one file or directory of a layer, owned by root unless owner says.
type entry struct {
	name  string // absolute path in the image
	mode  int64  // permission bits with tar's sticky bit (c_ISVTX)
	dir   bool
	owner int // uid and gid
	data  []byte
}

// layer makes a reproducible OCI layer of entries: their parent directories
// added (0755, root's), sorted by name, every time set to mtime.
func layer(entries []entry, mtime time.Time) (v1.Layer, error) {
	all := withParents(entries)
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range all {
		if err := writeEntry(tw, e, mtime); err != nil {
			return nil, fmt.Errorf("layer: %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// withParents returns entries plus the directories above them not listed.
func withParents(entries []entry) []entry {
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.name] = true
	}
	all := append([]entry(nil), entries...)
	for _, e := range entries {
		for d := path.Dir(e.name); d != "/" && !seen[d]; d = path.Dir(d) {
			seen[d] = true
			all = append(all, entry{name: d, mode: 0o755, dir: true})
		}
	}
	return all
}

func writeEntry(tw *tar.Writer, e entry, mtime time.Time) error {
	h := &tar.Header{
		Name:    strings.TrimPrefix(e.name, "/"),
		Mode:    e.mode,
		Uid:     e.owner,
		Gid:     e.owner,
		ModTime: mtime,
		Format:  tar.FormatPAX,
	}
	if e.dir {
		h.Typeflag = tar.TypeDir
		h.Name += "/"
	} else {
		h.Typeflag = tar.TypeReg
		h.Size = int64(len(e.data))
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := tw.Write(e.data)
	return err
}

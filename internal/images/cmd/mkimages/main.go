// Command mkimages builds Flotilla's container images without a Docker
// engine (`make images`): static binaries of the hub and the spoke for each
// architecture, an OCI image tarball of each for the build machine's
// architecture (docker load, crane push), its SPDX SBOM beside it, and an
// OCI image layout with one multi-platform index per binary.
//
//	go run ./internal/images/cmd/mkimages -version v1.2.3 -out bin/images
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/flotilla-gitops/flotilla/internal/images"
)

// binaries are the images built: name and main package.
var binaries = []struct{ name, pkg string }{
	{"flotilla-hub", "./hub/cmd/flotilla-hub"},
	{"flotilla-spoke", "./spoke/cmd/flotilla-spoke"},
}

type config struct {
	goCmd    string
	ldflags  string
	version  string
	revision string
	out      string
	repo     string
	native   string
	arches   []string
	caBundle string
}

func main() {
	var c config
	var arches string
	flag.StringVar(&c.goCmd, "go", "go", "the go command")
	flag.StringVar(&c.ldflags, "ldflags", "", "linker flags added to -s -w (version stamping)")
	flag.StringVar(&c.version, "version", "dev", "version: the images' tag and org.opencontainers.image.version")
	flag.StringVar(&c.revision, "revision", "", "org.opencontainers.image.revision (default: the binaries' vcs.revision)")
	flag.StringVar(&c.out, "out", "bin/images", "output directory")
	flag.StringVar(&c.repo, "repo", "ghcr.io/flotilla-gitops", "repository the tarballs' images are named in")
	flag.StringVar(&c.native, "arch", runtime.GOARCH, "architecture of the tarballs")
	flag.StringVar(&arches, "arches", "amd64,arm64", "architectures of the OCI layout's indexes")
	flag.StringVar(&c.caBundle, "ca-bundle", images.CABundle, "CA bundle copied into the images")
	flag.Parse()
	c.arches = strings.Split(arches, ",")
	if !contains(c.arches, c.native) {
		c.arches = append(c.arches, c.native)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "mkimages:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	start := time.Now()
	if _, err := os.Stat(c.caBundle); err != nil {
		return fmt.Errorf("CA bundle %s is missing (install ca-certificates or pass -ca-bundle): %w", c.caBundle, err)
	}
	for _, arch := range c.arches {
		if err := goBuild(c, arch); err != nil {
			return err
		}
		slog.Info("built binaries", "arch", arch, "elapsed", time.Since(start).Round(time.Millisecond))
	}
	var indexes []images.Named
	for _, b := range binaries {
		n, err := buildImages(c, b.name)
		if err != nil {
			return err
		}
		indexes = append(indexes, n)
	}
	dir := filepath.Join(c.out, "oci")
	if _, err := images.WriteLayout(dir, indexes...); err != nil {
		return err
	}
	for _, n := range indexes {
		fmt.Printf("%s/oci %s index %s\n", c.out, n.Name, digest(n.Index.Digest()))
	}
	slog.Info("images written", "dir", c.out, "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// buildImages builds name's image for every architecture, writes the native
// one's tarball and SBOM and returns the index of them all.
func buildImages(c config, name string) (images.Named, error) {
	var imgs []v1.Image
	for _, arch := range c.arches {
		o, err := options(c, name, arch)
		if err != nil {
			return images.Named{}, err
		}
		img, sbom, err := images.BuildWithSBOM(o)
		if err != nil {
			return images.Named{}, err
		}
		imgs = append(imgs, img)
		if arch != c.native {
			continue
		}
		if err := writeTarball(c, name, img, sbom); err != nil {
			return images.Named{}, err
		}
	}
	idx, err := images.Index(imgs...)
	return images.Named{Name: name, Index: idx}, err
}

func options(c config, name, arch string) (images.Options, error) {
	o, err := images.DefaultOptions(name, binaryPath(c, arch, name), arch)
	if err != nil {
		return o, err
	}
	o.CABundle = c.caBundle
	o.Version, o.Revision = c.version, c.revision
	o.Licenses = detectLicense(".")
	return o, nil
}

func binaryPath(c config, arch, name string) string {
	return filepath.Join(c.out, "build", "linux_"+arch, name)
}

var badTag = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// tag is version as an image tag: invalid characters become '-'.
func tag(version string) string {
	t := badTag.ReplaceAllString(version, "-")
	if t == "" || t[0] == '.' || t[0] == '-' {
		t = "v" + t
	}
	if len(t) > 128 {
		t = t[:128]
	}
	return t
}

func digest(h v1.Hash, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return h.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Package images builds Flotilla's container images without a Docker engine
// or a base image: a minimal root filesystem made here (a non-root user, the
// CA bundle, /tmp), the static binary and its SPDX SBOM, one layer each,
// reproducible (fixed times and owners, sorted entries) so that building twice
// from one tree gives the same digests. cmd/mkimages is what `make images` runs.
package images

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// CABundle is where Debian-like systems keep the CA bundle copied into images.
const CABundle = "/etc/ssl/certs/ca-certificates.crt"

// NonRoot is the user and group the images run as.
const NonRoot = 65532

// Options describe one image: one binary for one architecture.
type Options struct {
	Name     string    // binary and image name, e.g. flotilla-hub
	Binary   string    // path of the static Linux binary
	Arch     string    // GOARCH of Binary
	CABundle string    // CA bundle of the build machine to copy
	Source   string    // org.opencontainers.image.source
	Version  string    // org.opencontainers.image.version
	Revision string    // org.opencontainers.image.revision; else the binary's vcs.revision
	Licenses string    // org.opencontainers.image.licenses (SPDX expression); none if empty
	Created  time.Time // every time stamp in the image (file times, config, SBOM)
}

// DefaultOptions returns the options for name's binary at path for arch,
// with times from SOURCE_DATE_EPOCH when it is set, else the Unix epoch.
func DefaultOptions(name, binary, arch string) (Options, error) {
	created, err := SourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return Options{}, err
	}
	return Options{
		Name:     name,
		Binary:   binary,
		Arch:     arch,
		CABundle: CABundle,
		Source:   "https://github.com/flotilla-gitops/flotilla",
		Version:  "dev",
		Created:  created,
	}, nil
}

// SourceDateEpoch parses a SOURCE_DATE_EPOCH value; empty means the Unix epoch.
func SourceDateEpoch(s string) (time.Time, error) {
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: not a number of seconds since the epoch", s)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// BinaryPath is where the image holds its binary (and its entrypoint).
func (o Options) BinaryPath() string { return "/usr/local/bin/" + o.Name }

// SBOMPath is where the image holds its SBOM.
func (o Options) SBOMPath() string { return "/usr/share/sbom/" + o.Name + ".spdx.json" }

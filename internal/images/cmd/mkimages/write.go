package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// goBuild builds every binary for linux/arch, static and reproducible.
func goBuild(c config, arch string) error {
	dir := filepath.Dir(binaryPath(c, arch, "x"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args := []string{"build", "-trimpath", "-ldflags", strings.TrimSpace("-s -w " + c.ldflags), "-o", dir + "/"}
	for _, b := range binaries {
		args = append(args, b.pkg)
	}
	cmd := exec.Command(c.goCmd, args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for linux/%s: %w", arch, err)
	}
	return nil
}

// writeTarball writes out/NAME.tar (tagged REPO/NAME:VERSION) and
// out/NAME.spdx.json.
func writeTarball(c config, n string, img v1.Image, sbom []byte) error {
	ref, err := name.NewTag(c.repo + "/" + n + ":" + tag(c.version))
	if err != nil {
		return fmt.Errorf("%s: %w", n, err)
	}
	file := filepath.Join(c.out, n+".tar")
	if err := tarball.WriteToFile(file, ref, img); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := os.WriteFile(filepath.Join(c.out, n+".spdx.json"), sbom, 0o644); err != nil {
		return fmt.Errorf("%s: sbom: %w", n, err)
	}
	fmt.Printf("%s %s %s image %s\n", file, ref, c.native, digest(img.Digest()))
	return nil
}

// detectLicense is the SPDX identifier of dir's LICENSE file when it is one
// of the common ones, else "" (no label).
func detectLicense(dir string) string {
	for _, f := range []string{"LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		s := string(b)
		switch {
		case strings.Contains(s, "Apache License") && strings.Contains(s, "Version 2.0"):
			return "Apache-2.0"
		case strings.Contains(s, "MIT License") || strings.Contains(s, "Permission is hereby granted, free of charge"):
			return "MIT"
		case strings.Contains(s, "Mozilla Public License Version 2.0"):
			return "MPL-2.0"
		case strings.Contains(s, "BSD 3-Clause"):
			return "BSD-3-Clause"
		}
		return "LicenseRef-" + strings.TrimSuffix(strings.TrimSuffix(f, ".md"), ".txt")
	}
	return ""
}

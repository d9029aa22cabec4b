package cli

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// readObjects reads manifests from a file, a directory (recursively, *.yaml,
// *.yml, *.json, lexical order) or "-" for standard input.
func readObjects(name string, stdin io.Reader) ([]*unstructured.Unstructured, error) {
	lim := object.DefaultLimits()
	if name == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, lim.MaxFileBytes+1))
		if err != nil {
			return nil, fmt.Errorf("stdin: %w", err)
		}
		return object.Decode("stdin", b, lim)
	}
	files, err := manifestFiles(name)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, f := range files {
		objs, err := readFile(f, lim)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// manifestFiles lists name, or the YAML and JSON files under directory
// name (recursively, *.yaml, *.yml, *.json), in lexical order.
func manifestFiles(name string) ([]string, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{name}, nil
	}
	var files []string
	err = filepath.WalkDir(name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			if !d.IsDir() {
				files = append(files, p)
			}
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

func readFile(name string, lim object.Limits) ([]*unstructured.Unstructured, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.Size() > lim.MaxFileBytes {
		return nil, &object.DecodeError{File: name, Err: fmt.Errorf("%w: %d bytes > %d", object.ErrTooLarge, fi.Size(), lim.MaxFileBytes)}
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return object.Decode(name, b, lim)
}

// Package render turns a repository tree into Kubernetes objects: plain
// directories of YAML/JSON, Kustomize (krusty) and Helm charts (the Helm
// SDK, client-only, as `helm template`).
//
// The repository is an fs.FS rooted at the repository root; nothing outside
// it is ever read. Paths that are absolute or climb out with "..", and
// symlinks that point outside the root, are refused with an error naming
// the path (use OpenRoot for a directory on disk: it resolves symlinks
// without leaving the root). Every render either returns all objects of
// the source or an error: nothing half-rendered.
package render

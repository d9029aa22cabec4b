// Package object is the leaf of Flotilla's engine: object identity, decoding
// YAML and JSON manifests into unstructured objects with limits and precise
// error locations, and stable content hashes.
package object

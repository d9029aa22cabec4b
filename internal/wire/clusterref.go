package wire

import "regexp"

// ClusterRef matches a cluster reference in an application's source
// ({{cluster.name}}, {{cluster.labels.KEY}}): submatch 1 is "name" or
// "labels.KEY", submatch 2 the label key.
var ClusterRef = regexp.MustCompile(`\{\{\s*cluster\.(name|labels\.([A-Za-z0-9_./-]+))\s*\}\}`)

// ExpandSample replaces every cluster reference in s with a sample value,
// to check a value before any cluster expands it.
func ExpandSample(s string) string { return ClusterRef.ReplaceAllString(s, "x") }

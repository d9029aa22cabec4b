package object

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Limits bound what one manifest file may cost to decode.
type Limits struct {
	MaxFileBytes int64 // size of one file
	MaxDocuments int   // YAML documents in one file
	MaxNodes     int   // nodes of one document after alias expansion
	MaxDepth     int   // nesting of one document
}

// DefaultLimits are generous for real manifests (the largest CRDs are a few
// MiB) and stop hostile ones early.
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: 16 << 20, MaxDocuments: 10000, MaxNodes: 2_000_000, MaxDepth: 200}
}

// Decode parses a stream of YAML documents (JSON for a file named *.json)
// into objects, reading values as kubectl does. Empty documents are skipped
// and lists (an object whose items is a list) are flattened. file names the
// source in errors and picks JSON by its extension.
func Decode(file string, data []byte, lim Limits) ([]*unstructured.Unstructured, error) {
	if lim.MaxFileBytes > 0 && int64(len(data)) > lim.MaxFileBytes {
		return nil, &DecodeError{File: file, Err: fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, len(data), lim.MaxFileBytes)}
	}
	if IsJSON(file) {
		return decodeJSON(file, data, lim)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			line, msg := yamlErr(err)
			return nil, &DecodeError{File: file, Doc: doc, Line: line, Err: errors.New(msg)}
		}
		if lim.MaxDocuments > 0 && doc > lim.MaxDocuments {
			return nil, &DecodeError{File: file, Doc: doc, Err: fmt.Errorf("%w: more than %d", ErrTooManyDocs, lim.MaxDocuments)}
		}
		c := converter{lim: lim}
		v, err := c.convert(&n, 0)
		if err != nil {
			return nil, &DecodeError{File: file, Doc: doc, Line: c.line, Err: err}
		}
		if v == nil {
			continue
		}
		objs, err := toObjects(v)
		if err != nil {
			return nil, &DecodeError{File: file, Doc: doc, Line: docLine(&n), Err: err}
		}
		out = append(out, objs...)
	}
}

func docLine(n *yaml.Node) int {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0].Line
	}
	return n.Line
}

// yamlErr splits a yaml.v3 error ("yaml: line 5: did not find ...") into
// its line and the rest of the message.
func yamlErr(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0, msg
	}
	num, tail, ok := strings.Cut(rest, ": ")
	n, cerr := strconv.Atoi(num)
	if !ok || cerr != nil {
		return 0, msg
	}
	if parserProblems[tail] {
		n++ // yaml.v3 reports parser (not scanner) errors with 0-based lines
	}
	return n, tail
}

var parserProblems = map[string]bool{
	"did not find expected ',' or ']'": true, "did not find expected ',' or '}'": true,
	"did not find expected '-' indicator": true, "did not find expected <document start>": true,
	"did not find expected key": true, "did not find expected node content": true,
	"found duplicate %TAG directive": true, "found duplicate %YAML directive": true,
	"found incompatible YAML document": true, "found undefined tag handle": true,
}

func toObjects(v any) ([]*unstructured.Unstructured, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: top level is a %T, not a mapping", ErrNotAnObject, v)
	}
	u := &unstructured.Unstructured{Object: m}
	if items, isList := m["items"]; isList && (items == nil || isSlice(items)) && u.GetKind() != "" {
		items, _ := items.([]any) // items: null is an empty list
		var out []*unstructured.Unstructured
		for i, it := range items {
			objs, err := toObjects(it)
			if err != nil {
				return nil, fmt.Errorf("items[%d]: %w", i, err)
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	if err := Validate(u); err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{u}, nil
}

func isSlice(v any) bool {
	_, ok := v.([]any)
	return ok
}

// Validate checks the fields every object needs: apiVersion, kind and a
// name (or generateName).
func Validate(u *unstructured.Unstructured) error {
	var missing []string
	if av, _ := u.Object["apiVersion"].(string); av == "" {
		missing = append(missing, "apiVersion")
	}
	if k, _ := u.Object["kind"].(string); k == "" {
		missing = append(missing, "kind")
	}
	md, isMap := u.Object["metadata"].(map[string]any)
	if u.Object["metadata"] != nil && !isMap {
		return fmt.Errorf("%w: metadata is not a mapping", ErrNotAnObject)
	}
	for _, f := range []string{"name", "generateName", "namespace"} {
		if v, ok := md[f]; ok && v != nil {
			if _, isStr := v.(string); !isStr {
				return fmt.Errorf("%w: metadata.%s is a %T, not a string (unquoted y/n/yes/no/on/off are booleans in YAML 1.1, as kubectl reads it: quote them)", ErrNotAnObject, f, v)
			}
		}
	}
	name, _ := md["name"].(string)
	gen, _ := md["generateName"].(string)
	if name == "" && gen == "" {
		missing = append(missing, "metadata.name")
	}
	if len(missing) > 0 {
		if _, av := u.Object["apiVersion"]; av || u.Object["kind"] != nil {
			return fmt.Errorf("%w: missing %s", ErrIncomplete, strings.Join(missing, ", "))
		}
		return fmt.Errorf("%w: missing %s", ErrNotAnObject, strings.Join(missing, ", "))
	}
	return nil
}

// converter turns a yaml.Node tree into JSON-compatible values
// (map[string]any, []any, string, int64, float64, bool, nil), counting
// every node visited, aliases included, against the limits.
type converter struct {
	lim   Limits
	nodes int
	line  int // line of the node that caused an error
}

func (c *converter) fail(n *yaml.Node, err error) error {
	if c.line == 0 {
		c.line = n.Line
	}
	return err
}

func (c *converter) convert(n *yaml.Node, depth int) (any, error) {
	c.nodes++
	if c.lim.MaxNodes > 0 && c.nodes > c.lim.MaxNodes {
		return nil, c.fail(n, fmt.Errorf("%w of %d", ErrAliasBomb, c.lim.MaxNodes))
	}
	if c.lim.MaxDepth > 0 && depth > c.lim.MaxDepth {
		return nil, c.fail(n, fmt.Errorf("%w of %d", ErrTooDeep, c.lim.MaxDepth))
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0], depth)
	case yaml.AliasNode:
		return c.convert(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.convert(item, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return c.mapping(n, depth)
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil, c.fail(n, fmt.Errorf("%w: node kind %v", ErrUnsupportedYAML, n.Kind))
}

func (c *converter) mapping(n *yaml.Node, depth int) (map[string]any, error) {
	out := make(map[string]any, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, c.fail(k, fmt.Errorf("%w: mapping key must be a scalar", ErrUnsupportedYAML))
		}
		// A repeated key keeps its last value, as kubectl (sigs.k8s.io/yaml) does.
		key := keyString(k)
		val, err := c.convert(v, depth+1)
		if err != nil {
			return nil, err
		}
		out[key] = val
	}
	// Merge keys ("<<: *base") fill in keys the mapping does not set itself.
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			v, err := c.convert(s, depth+1)
			if err != nil {
				return nil, err
			}
			mm, ok := v.(map[string]any)
			if !ok {
				return nil, c.fail(s, fmt.Errorf("%w: merge key value is not a mapping", ErrUnsupportedYAML))
			}
			for k, val := range mm {
				if _, set := out[k]; !set {
					out[k] = val
				}
			}
		}
	}
	return out, nil
}

// yaml11Bools are YAML 1.1's booleans, which kubectl (yaml.v2) still
// reads as booleans when unquoted: readOnly: yes is true, not "yes".
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "true": true, "True": true, "TRUE": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "false": false, "False": false, "FALSE": false, "off": false, "Off": false, "OFF": false,
}

// plain reports whether a scalar is unquoted and untagged.
func plain(n *yaml.Node) bool {
	return n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0
}

// keyString is a mapping key as JSON sees it after kubectl's conversion.
func keyString(k *yaml.Node) string {
	if b, ok := yaml11Bools[k.Value]; ok && plain(k) {
		return strconv.FormatBool(b)
	}
	return k.Value
}

func (c *converter) scalar(n *yaml.Node) (any, error) {
	if b, ok := yaml11Bools[n.Value]; ok && (plain(n) || n.ShortTag() == "!!bool") {
		return b, nil
	}
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary":
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
		// Beyond int64: a float, as kubectl does.
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil {
			return nil, c.fail(n, fmt.Errorf("%w: integer %q", ErrUnsupportedYAML, n.Value))
		}
		return f, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, c.fail(n, err)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, c.fail(n, fmt.Errorf("%w: %q has no JSON form", ErrUnsupportedYAML, n.Value))
		}
		// JSON round-trips integral floats to integers, as kubectl does.
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		return f, nil
	}
	// Application tags (!Ref, !) on a scalar: its text, as kubectl does.
	return n.Value, nil
}

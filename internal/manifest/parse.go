package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// Parse reads every YAML or JSON document of content (--- separated; empty
// documents skipped; a `kind: List` with `items` expands). Each document is
// converted on its own: good ones in objs, each bad one a *DocError in errs.
func Parse(file string, content []byte) (objs []Object, errs []error) {
	for _, d := range splitDocuments(content) {
		doc, err := decode(d.text)
		if err != nil {
			errs = append(errs, &DocError{File: file, Index: d.index, Err: fmt.Errorf("%w: %s", ErrSyntax, fileLines(err.Error(), d.line))})
			continue
		}
		if doc == nil {
			continue
		}
		o, e := expand(file, d.index, doc)
		objs = append(objs, o...)
		errs = append(errs, e...)
	}
	return objs, errs
}

// expand converts one document, or each item of a list.
func expand(file string, index int, doc any) (objs []Object, errs []error) {
	m, isMap := doc.(map[string]any)
	if !isMap {
		return nil, []error{&DocError{File: file, Index: index, Err: invalid("a document must be a mapping, not %s", typeName(doc))}}
	}
	kind, _ := m["kind"].(string)
	if items, isList := m["items"].([]any); isList && strings.HasSuffix(kind, "List") {
		for i, it := range items {
			o, e := expand(file, index, it)
			for _, err := range e {
				var de *DocError
				if errors.As(err, &de) {
					de.Field = strings.TrimSuffix(fmt.Sprintf("items[%d].%s", i, de.Field), ".")
				}
			}
			objs = append(objs, o...)
			errs = append(errs, e...)
		}
		return objs, errs
	}
	o, err := convert(file, index, m)
	if err != nil {
		return nil, []error{err}
	}
	return []Object{o}, nil
}

// FromMap converts one decoded document (as from YAML or JSON unmarshalling
// into map[string]any). doc is not modified.
func FromMap(file string, index int, doc map[string]any) (Object, error) {
	// A JSON round trip copies doc and brings every value to one form
	// (json.Number, []any, map[string]any), whatever the caller built it from.
	var norm map[string]any
	b, err := json.Marshal(doc)
	if err == nil {
		var v any
		v, err = decode(b)
		norm, _ = v.(map[string]any)
	}
	if err != nil {
		kind, _ := doc["kind"].(string)
		md, _ := doc["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		return Object{}, &DocError{File: file, Index: index, Kind: kind, Name: name, Err: invalid("%v", err)}
	}
	return convert(file, index, norm)
}

// convert reads one object; doc is decoded by decode and owned by convert.
func convert(file string, index int, doc map[string]any) (Object, error) {
	apiVersion, _ := doc["apiVersion"].(string)
	kind, _ := doc["kind"].(string)
	md, _ := doc["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	fail := func(err error) (Object, error) {
		de := &DocError{File: file, Index: index, Kind: kind, Name: name, Err: err}
		var fe *fieldError
		if errors.As(err, &fe) {
			de.Field, de.Err = fe.field, fe.err
		}
		return Object{}, de
	}
	switch {
	case apiVersion == "":
		return fail(errAt("apiVersion", ErrRequired))
	case kind == "":
		return fail(errAt("kind", ErrRequired))
	}
	nk := normalKind(apiVersion, kind)
	if nk == "" {
		return fail(fmt.Errorf("%w %s %s (expected Application, AppProject or ApplicationSet of %s, or Application, Project, ApplicationSet or Cluster of %s)",
			ErrUnknownKind, apiVersion, kind, argoGroup, flotillaGroup))
	}
	argo := strings.HasPrefix(apiVersion, argoGroup+"/")
	obj := Object{File: file, Index: index, APIVersion: apiVersion, Kind: nk, Name: name}
	root := newNode("", doc, &obj.Warnings, !argo)
	root.silent("apiVersion", "kind")
	if argo {
		root.silent("status")
	}
	meta, err := readMeta(root)
	if err != nil {
		return fail(err)
	}
	switch {
	case nk == KindApplication && argo:
		obj.App, err = argoApplication(root, meta)
	case nk == KindApplication:
		obj.App, err = flotillaApplication(root, meta)
	case nk == KindProject && argo:
		obj.Project, err = argoProject(root, meta)
	case nk == KindProject:
		obj.Project, err = flotillaProject(root, meta)
	case nk == KindApplicationSet:
		obj.AppSet, err = applicationSet(root, meta, apiVersion, argo)
	case nk == KindCluster:
		obj.Cluster, err = cluster(root, meta)
	}
	if err == nil {
		err = root.done()
	}
	if err != nil {
		return fail(err)
	}
	if len(obj.Warnings) > 0 {
		w := append([]string(nil), obj.Warnings...)
		switch {
		case obj.App != nil:
			obj.App.Warnings = w
		case obj.Project != nil:
			obj.Project.Warnings = w
		case obj.AppSet != nil:
			obj.AppSet.Warnings = w
		}
	}
	return obj, nil
}

// meta is an object's metadata.
type meta struct {
	node        *node
	name        string
	labels      map[string]string
	annotations map[string]string
	finalizers  []string
}

// serverFields are metadata the API server sets; an exported object
// carries them, and they mean nothing here.
var serverFields = []string{"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"}

func readMeta(root *node) (meta, error) {
	md, err := root.obj("metadata")
	if err != nil {
		return meta{}, err
	}
	if md == nil {
		return meta{}, errAt("metadata.name", ErrRequired)
	}
	m := meta{node: md}
	md.silent("namespace") // where the object lives in Argo CD
	md.silent(serverFields...)
	if m.name, err = md.str("name"); err == nil && m.name == "" {
		err = errAt("metadata.name", ErrRequired)
	}
	if err == nil {
		m.labels, err = md.strMap("labels")
	}
	if err == nil {
		m.annotations, err = md.strMap("annotations")
	}
	if err == nil {
		m.finalizers, err = md.strs("finalizers")
	}
	if err == nil {
		err = md.done()
	}
	return m, err
}

// notKept warns about the metadata a kind has no place for: labels,
// annotations or finalizers, as flagged.
func (m meta) notKept(kind string, labels, annotations, finalizers bool) {
	for _, f := range []struct {
		set  bool
		name string
	}{{labels && len(m.labels) > 0, "labels"}, {annotations && len(m.annotations) > 0, "annotations"}, {finalizers && len(m.finalizers) > 0, "finalizers"}} {
		if f.set {
			m.node.warn("metadata."+f.name, "not kept for %s, ignored", kind)
		}
	}
}

// document is one document of a file: its text, its index and its first line.
type document struct {
	text  []byte
	index int
	line  int
}

// splitDocuments cuts content at its `---` lines. The text before the first
// one is no document when it holds only blank lines, comments and directives.
func splitDocuments(content []byte) []document {
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	docs := []document{{line: 1}}
	cur := &docs[0]
	lineNo := 0
	for len(content) > 0 {
		line := content
		if i := bytes.IndexByte(content, '\n'); i >= 0 {
			line = content[:i+1]
		}
		content = content[len(line):]
		lineNo++
		body := bytes.TrimRight(line, "\r\n")
		if bytes.HasPrefix(body, []byte("---")) && (len(body) == 3 || body[3] == ' ' || body[3] == '\t') {
			docs = append(docs, document{text: append([]byte(nil), line[3:]...), line: lineNo})
			cur = &docs[len(docs)-1]
			continue
		}
		if bytes.Equal(body, []byte("...")) {
			continue // document end marker
		}
		cur.text = append(cur.text, line...)
	}
	if len(docs) > 1 && blank(docs[0].text) {
		docs = docs[1:]
	}
	for i := range docs {
		docs[i].index = i
	}
	return docs
}

func blank(text []byte) bool {
	for _, l := range bytes.Split(text, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' && l[0] != '%' {
			return false
		}
	}
	return true
}

// decode reads one YAML or JSON document; nil when it is empty.
func decode(text []byte) (any, error) {
	j := text
	if t := bytes.TrimSpace(text); len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		var err error
		if j, err = yaml.YAMLToJSON(text); err != nil {
			return nil, err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// fileLines makes the line numbers of a document's YAML error lines of the file.
func fileLines(msg string, first int) string {
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	// The YAML parser (not its scanner) counts lines from 0.
	if strings.Contains(msg, "did not find expected") || strings.Contains(msg, "found incompatible") || strings.Contains(msg, "found duplicate") || strings.Contains(msg, "found undefined tag") {
		first++
	}
	return lineRE.ReplaceAllStringFunc(msg, func(s string) string {
		n, err := strconv.Atoi(strings.TrimPrefix(s, "line "))
		if err != nil {
			return s
		}
		return "line " + strconv.Itoa(n+first-1)
	})
}

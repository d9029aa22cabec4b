package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/google/go-jsonnet"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// jsonnetMaxStack bounds the depth of Jsonnet evaluation (go-jsonnet's
// default is 500 too; set here so a change upstream does not change it).
// CPU, memory and wall time are bounded by the render worker process.
const jsonnetMaxStack = 500

// jsonnetRenderer evaluates the *.jsonnet files of one directory source,
// as Argo CD's repo server does (findManifests, makeJsonnetVM): a fresh VM
// per file with the source's ext vars and TLAs, imports from the file's
// directory and the library paths, inside the repository.
type jsonnetRenderer struct {
	opts JsonnetOptions
	imp  *fsImporter
	lim  object.Limits
}

func newJsonnetRenderer(ctx context.Context, repo fs.FS, dir string, opts JsonnetOptions, lim object.Limits) (*jsonnetRenderer, error) {
	imp, err := newImporter(ctx, repo, dir, opts.Libs, lim.MaxFileBytes)
	if err != nil {
		return nil, err
	}
	return &jsonnetRenderer{opts: opts, imp: imp, lim: lim}, nil
}

// render evaluates file (a repository path, its contents already read as
// src) and decodes its output. It returns the objects and the size of the
// JSON output.
func (r *jsonnetRenderer) render(file string, src []byte) ([]*unstructured.Unstructured, int, error) {
	vm := jsonnet.MakeVM()
	vm.MaxStack = jsonnetMaxStack
	vm.SetTraceOut(io.Discard) // std.trace: pkg/ does not log
	// Argo CD binds TLAs, then ext vars; a repeated name takes the last value.
	for _, v := range r.opts.TLAs {
		if v.Code {
			vm.TLACode(v.Name, v.Value)
		} else {
			vm.TLAVar(v.Name, v.Value)
		}
	}
	for _, v := range r.opts.ExtVars {
		if v.Code {
			vm.ExtCode(v.Name, v.Value)
		} else {
			vm.ExtVar(v.Name, v.Value)
		}
	}
	vm.Importer(r.imp)
	r.imp.refused = nil
	if _, seen := r.imp.cache[file]; !seen { // EvaluateFile reads it through the importer
		r.imp.cache[file] = importEntry{contents: jsonnet.MakeContentsRaw(src), exists: true}
	}
	out, err := vm.EvaluateFile(file)
	if err != nil {
		return nil, 0, evalError(file, err, r.imp.refused)
	}
	objs, err := decodeJsonnetOutput(file, []byte(out), r.lim)
	return objs, len(out), err
}

// jsonnetError is a failed evaluation: go-jsonnet's message, which gives
// file:line:column and a stack trace, wrapping what the importer refused.
type jsonnetError struct {
	msg   string
	cause error
}

func (e *jsonnetError) Error() string { return e.msg }
func (e *jsonnetError) Unwrap() error { return e.cause }

// evalError names the file evaluated first: a syntax error already starts
// with it ("app.jsonnet:3:5-6 ..."), a runtime error starts with "RUNTIME
// ERROR" and one in an imported library names the library.
func evalError(file string, err, refused error) error {
	msg := strings.TrimSpace(err.Error())
	if !strings.HasPrefix(msg, file+":") {
		msg = file + ": " + msg
	}
	return &jsonnetError{msg: msg, cause: refused}
}

// decodeJsonnetOutput reads a file's JSON output as Argo CD does: an array
// is a list of objects (null elements are skipped, an element that is an
// array is an error: Argo CD does not flatten nested arrays); null or an
// empty array is no object; anything else must be one object, and an
// object with items (kind: List) is expanded. Each object is decoded and
// validated as a .json manifest file is, and errors name the file and the
// element.
func decodeJsonnetOutput(file string, out []byte, lim object.Limits) ([]*unstructured.Unstructured, error) {
	out = bytes.TrimSpace(out)
	isArray := len(out) > 0 && out[0] == '['
	elems := []json.RawMessage{out}
	if isArray {
		elems = nil
		if err := json.Unmarshal(out, &elems); err != nil {
			return nil, fmt.Errorf("%s: output: %w", file, err)
		}
	}
	var objs []*unstructured.Unstructured
	for i, e := range elems {
		where := "output"
		if isArray {
			where = fmt.Sprintf("output[%d]", i)
		}
		e = bytes.TrimSpace(e)
		if string(e) == "null" {
			continue
		}
		if isArray && len(e) > 0 && e[0] == '[' {
			return nil, &object.DecodeError{File: file, Err: fmt.Errorf("%s: %w: an array inside the output array (Argo CD reads an array of objects; flatten it with std.flattenArrays)", where, object.ErrNotAnObject)}
		}
		// object.Decode reads JSON by the file's extension.
		got, err := object.Decode(file+".json", e, lim)
		if err != nil {
			var de *object.DecodeError
			if errors.As(err, &de) {
				err = de.Err
			}
			return nil, &object.DecodeError{File: file, Err: fmt.Errorf("%s: %w", where, err)}
		}
		objs = append(objs, got...)
	}
	return objs, nil
}

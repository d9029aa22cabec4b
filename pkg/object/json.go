package object

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// IsJSON reports whether a file is decoded as JSON (by its extension).
func IsJSON(file string) bool { return strings.HasSuffix(strings.ToLower(file), ".json") }

// decodeJSON decodes a stream of JSON values with encoding/json (full JSON
// escapes, as Argo CD reads .json files), numbers as int64 or float64.
func decodeJSON(file string, data []byte, lim Limits) ([]*unstructured.Unstructured, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			line := 0
			var se *json.SyntaxError
			if errors.As(err, &se) {
				line = bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n")) + 1
			}
			return nil, &DecodeError{File: file, Doc: doc, Line: line, Err: err}
		}
		if lim.MaxDocuments > 0 && doc > lim.MaxDocuments {
			return nil, &DecodeError{File: file, Doc: doc, Err: fmt.Errorf("%w: more than %d", ErrTooManyDocs, lim.MaxDocuments)}
		}
		v, err = jsonNumbers(v)
		if err != nil {
			return nil, &DecodeError{File: file, Doc: doc, Err: err}
		}
		if v == nil {
			continue
		}
		objs, err := toObjects(v)
		if err != nil {
			return nil, &DecodeError{File: file, Doc: doc, Err: err}
		}
		out = append(out, objs...)
	}
}

func jsonNumbers(v any) (any, error) {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, nil
		}
		f, err := t.Float64()
		if err != nil {
			return nil, fmt.Errorf("%w: number %s", ErrUnsupportedYAML, t)
		}
		return f, nil
	case map[string]any:
		for k, x := range t {
			n, err := jsonNumbers(x)
			if err != nil {
				return nil, err
			}
			t[k] = n
		}
	case []any:
		for i, x := range t {
			n, err := jsonNumbers(x)
			if err != nil {
				return nil, err
			}
			t[i] = n
		}
	}
	return v, nil
}

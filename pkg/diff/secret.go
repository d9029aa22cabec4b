package diff

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// isSecret reports whether obj is a core Secret.
func isSecret(obj map[string]any) bool {
	return obj != nil && obj["apiVersion"] == "v1" && obj["kind"] == "Secret"
}

// foldStringData writes a Secret's stringData into data, base64-encoded,
// as the API server does on every write (stringData wins over data), so
// a manifest using stringData compares equal to the live Secret, which
// never has it.
func foldStringData(obj map[string]any) {
	sd, ok := obj["stringData"].(map[string]any)
	if !ok || !isSecret(obj) {
		return
	}
	delete(obj, "stringData")
	if len(sd) == 0 {
		return
	}
	data, _ := obj["data"].(map[string]any)
	if data == nil {
		data = make(map[string]any, len(sd))
		obj["data"] = data
	}
	for k, v := range sd {
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		data[k] = base64.StdEncoding.EncodeToString([]byte(s))
	}
}

// maskSecretData replaces the values of a Secret's data on both sides of
// a comparison with masks, as Argo CD does: equal values get equal masks
// and different values different ones, so a diff says which keys change
// and never what they hold.
func maskSecretData(sides ...map[string]any) {
	masks := map[any]string{}
	for _, obj := range sides {
		data, _ := obj["data"].(map[string]any)
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := data[k]
			m, ok := masks[v]
			if !ok {
				m = strings.Repeat("+", 8+len(masks))
				masks[v] = m
			}
			data[k] = m
		}
	}
}

// MaskSecret hides what a Secret (a manifest as JSON) holds, as a diff
// of it would show it: stringData folded into data, every value masked.
// It leaves other kinds and bytes that are not an object as they are.
func MaskSecret(raw []byte) []byte {
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil || !isSecret(obj) {
		return raw
	}
	foldStringData(obj)
	maskSecretData(obj)
	out, err := json.Marshal(obj)
	if err != nil {
		return raw
	}
	return out
}

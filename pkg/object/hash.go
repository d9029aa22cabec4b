package object

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Hash returns the sha256 (hex) of the object's canonical JSON encoding.
// encoding/json sorts map keys, so equal objects hash equally whatever the
// order of their source YAML.
func Hash(u *unstructured.Unstructured) (string, error) {
	b, err := json.Marshal(u.Object)
	if err != nil {
		return "", fmt.Errorf("%s: hash: %w", Describe(u), err)
	}
	return HashBytes(b), nil
}

// HashBytes returns the hex sha256 of b.
func HashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

package main

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// perFile is how many objects each manifest file of the application holds.
const perFile = 100

// kindOf says what object i is: 1 in 20 a Service, 1 in 20 a Secret, the
// rest ConfigMaps.
func kindOf(i int) string {
	switch i % 20 {
	case 7:
		return "Service"
	case 13:
		return "Secret"
	}
	return "ConfigMap"
}

// changed reports whether object i is among the 10% a sync changes.
func changed(i int) bool { return i%10 == 0 }

// changedCount is how many of n objects a sync changes.
func changedCount(n int) int { return (n + 9) / 10 }

// manifests returns the application's files (path → YAML) with n objects;
// the objects that change carry rev.
func manifests(n, rev int) map[string]string {
	files := map[string]string{}
	for f := 0; f*perFile < n; f++ {
		var b strings.Builder
		for i := f * perFile; i < min(n, (f+1)*perFile); i++ {
			v := 0
			if changed(i) {
				v = rev
			}
			b.WriteString("---\n")
			b.WriteString(object(i, v))
		}
		files[fmt.Sprintf("app/objects-%03d.yaml", f)] = b.String()
	}
	return files
}

func object(i, v int) string {
	name := fmt.Sprintf("obj-%05d", i)
	switch kindOf(i) {
	case "Service":
		return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: %s, labels: {app: %s, tier: bench}, annotations: {revision: "%d"}}
spec:
  selector: {app: %s}
  ports: [{name: http, port: 80, targetPort: 8080}]
`, name, name, v, name)
	case "Secret":
		return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: %s, labels: {app: %s, tier: bench}}
type: Opaque
data: {password: %s, revision: %s}
`, name, name, base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("secret-%05d-xxxxxxxxxxxxxxxx", i))),
			base64.StdEncoding.EncodeToString([]byte(fmt.Sprint(v))))
	}
	return fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata: {name: %s, labels: {app: %s, tier: bench}}
data:
  revision: "%d"
  LOG_LEVEL: info
  ENDPOINT: https://service-%05d.example.internal:8443/api/v1
  settings.json: '{"replicas": 3, "timeoutSeconds": 30, "features": ["a", "b", "c"], "owner": "team-%d"}'
`, name, name, v, i, i%50)
}

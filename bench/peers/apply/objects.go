package main

import (
	"fmt"
	"strings"
)

// mix is how many objects of each kind a manifest set has.
type mix struct{ CRs, ConfigMaps, Services, Deployments int }

// mixFor splits n objects (one of them the CRD) as 10% custom resources,
// 50% ConfigMaps, 30% Services and 10% Deployments.
func mixFor(n int) mix {
	m := mix{CRs: n/10 - 1, ConfigMaps: n / 2, Services: n * 3 / 10}
	m.Deployments = n - 1 - m.CRs - m.ConfigMaps - m.Services
	return m
}

// manifests returns the YAML of n objects for namespace ns: a CRD (its
// kind unique to tag, so every contender pays for establishing one) and
// its custom resources, ConfigMaps, Services and Deployments. With
// changed, every tenth object differs (a ConfigMap value, a Service
// annotation, a Deployment's pod template, a custom resource's spec).
func manifests(n int, tag string, changed bool) (crd, rest string) {
	m := mixFor(n)
	kind := "Widget" + strings.ToUpper(tag[:1]) + tag[1:]
	plural := strings.ToLower(kind) + "s"
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %[1]s.bench.flotilla.dev
spec:
  group: bench.flotilla.dev
  scope: Namespaced
  names: {kind: %[2]s, plural: %[1]s, singular: %[3]s, listKind: %[2]sList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
`, plural, kind, strings.ToLower(kind))
	crd = b.String()
	b.Reset()
	i := 1 // object index; i%10 == 0 marks a changed object
	version := func() int {
		defer func() { i++ }()
		if changed && i%10 == 0 {
			return 2
		}
		return 1
	}
	for j := range m.CRs {
		fmt.Fprintf(&b, "---\napiVersion: bench.flotilla.dev/v1\nkind: %s\nmetadata: {name: w%d}\nspec: {size: %d, color: blue, version: %d}\n", kind, j, j, version())
	}
	for j := range m.ConfigMaps {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm%d, labels: {app: bench}}\ndata: {index: %q, version: \"%d\", payload: %q}\n", j, fmt.Sprint(j), version(), strings.Repeat("x", 256))
	}
	for j := range m.Services {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc%d, annotations: {bench/version: \"%d\"}}\nspec: {selector: {app: web%d}, ports: [{name: http, port: 80, targetPort: 8080}]}\n", j, version(), j)
	}
	for j := range m.Deployments {
		fmt.Fprintf(&b, `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web%[1]d}
spec:
  replicas: 1
  selector: {matchLabels: {app: web%[1]d}}
  template:
    metadata: {labels: {app: web%[1]d}, annotations: {bench/version: "%[2]d"}}
    spec: {containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 8080}]}]}
`, j, version())
	}
	return crd, b.String()
}

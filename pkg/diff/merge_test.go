package diff

import "testing"

// TestPredict checks the server-side-apply-like merge of desired onto live.
func TestPredict(t *testing.T) {
	tests := map[string]struct {
		desired, live, want string
	}{
		"desired scalar wins": {
			desired: "spec: {replicas: 3}", live: "spec: {replicas: 5}", want: "spec: {replicas: 3}",
		},
		"maps merge and keep live-only fields": {
			desired: "spec: {a: 1, b: {c: 2}}",
			live:    "spec: {b: {c: 9, d: 4}, e: 5}",
			want:    "spec: {a: 1, b: {c: 2, d: 4}, e: 5}",
		},
		"null in desired keeps live": {
			desired: "spec: {strategy: null, a: 1}",
			live:    "spec: {strategy: {type: Recreate}}",
			want:    "spec: {strategy: {type: Recreate}, a: 1}",
		},
		"nulls in new subtrees are dropped": {
			desired: "spec: {template: {metadata: {annotations: null, labels: {a: b}}}, list: [{name: x, v: null}]}",
			live:    "kind: K",
			want:    "kind: K\nspec: {template: {metadata: {labels: {a: b}}}, list: [{name: x}]}",
		},
		"list of scalars is replaced": {
			desired: "args: [a, b]", live: "args: [a, b, c]", want: "args: [a, b]",
		},
		"list by name keeps desired order and drops live extras": {
			desired: "c: [{name: b, image: b2}, {name: a}]",
			live:    "c: [{name: a, pull: Always}, {name: x}, {name: b, image: b1, pull: IfNotPresent}]",
			want:    "c: [{name: b, image: b2, pull: IfNotPresent}, {name: a, pull: Always}]",
		},
		"list by containerPort when a name is missing": {
			desired: "ports: [{containerPort: 80, name: http}, {containerPort: 9090}]",
			live:    "ports: [{containerPort: 9090, protocol: TCP}, {containerPort: 80, name: web, protocol: TCP}]",
			want:    "ports: [{containerPort: 80, name: http, protocol: TCP}, {containerPort: 9090, protocol: TCP}]",
		},
		"list by port": {
			desired: "ports: [{port: 443, targetPort: 8443}]",
			live:    "ports: [{port: 443, targetPort: 8443, protocol: TCP, nodePort: 30443}]",
			want:    "ports: [{port: 443, targetPort: 8443, protocol: TCP, nodePort: 30443}]",
		},
		"list by mountPath": {
			desired: "m: [{mountPath: /a, readOnly: true}]",
			live:    "m: [{mountPath: /a, mountPropagation: None}]",
			want:    "m: [{mountPath: /a, readOnly: true, mountPropagation: None}]",
		},
		"list by devicePath": {
			desired: "d: [{devicePath: /dev/x}]", live: "d: [{devicePath: /dev/x, extra: 1}]", want: "d: [{devicePath: /dev/x, extra: 1}]",
		},
		"list by ip": {
			desired: "h: [{ip: 10.0.0.1, hostnames: [a]}]", live: "h: [{ip: 10.0.0.1, hostnames: [b]}]", want: "h: [{ip: 10.0.0.1, hostnames: [a]}]",
		},
		"duplicate keys pair by occurrence": {
			desired: "ports: [{containerPort: 53, protocol: UDP}, {containerPort: 53}]",
			live:    "ports: [{containerPort: 53, protocol: UDP, x: 1}, {containerPort: 53, protocol: TCP, x: 2}]",
			want:    "ports: [{containerPort: 53, protocol: UDP, x: 1}, {containerPort: 53, protocol: TCP, x: 2}]",
		},
		"atomic list the server defaults, as long as live's: merged by position": {
			desired: "webhooks: [{name: w, rules: [{host: a, scope: x}, {host: b}]}]",
			live:    "webhooks: [{name: w, rules: [{host: a, scope: '*'}, {host: c, scope: '*'}]}]",
			want:    "webhooks: [{name: w, rules: [{host: a, scope: x}, {host: b, scope: '*'}]}]",
		},
		"other atomic list of as many maps: replaced": {
			desired: "rules: [{verbs: [get]}]", live: "rules: [{verbs: [get], resourceNames: [one]}]", want: "rules: [{verbs: [get]}]",
		},
		"list of maps without a merge key, of another length: replaced": {
			desired: "rules: [{host: a}]", live: "rules: [{host: a, http: {}}, {host: b}]", want: "rules: [{host: a}]",
		},
		"empty desired list replaces": {
			desired: "c: []", live: "c: [{name: a}]", want: "c: []",
		},
		"type change: desired wins": {
			desired: "v: {a: 1}", live: "v: [1, 2]", want: "v: {a: 1}",
		},
		"equal quantities keep the live spelling": {
			desired: "resources: {limits: {cpu: 1000m, memory: 1Gi}, requests: {cpu: 0.5}}",
			live:    `resources: {limits: {cpu: "1", memory: 1Gi}, requests: {cpu: 500m}}`,
			want:    `resources: {limits: {cpu: "1", memory: 1Gi}, requests: {cpu: 500m}}`,
		},
		"different quantities: desired wins": {
			desired: "resources: {limits: {cpu: 2}}", live: `resources: {limits: {cpu: "1"}}`, want: "resources: {limits: {cpu: 2}}",
		},
		"quantity equality only under limits, requests and hard": {
			desired: "data: {cpu: 1000m}", live: `data: {cpu: "1"}`, want: "data: {cpu: 1000m}",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := &obj{Object: fromYAML(t, tc.desired)}
			l := &obj{Object: fromYAML(t, tc.live)}
			dBefore, lBefore := d.DeepCopy(), l.DeepCopy()
			got := Predict(d, l)
			unchanged(t, "desired", dBefore, d)
			unchanged(t, "live", lBefore, l)
			sameYAML(t, got.Object, fromYAML(t, tc.want))
		})
	}
	if Predict(nil, &obj{Object: map[string]any{}}) != nil {
		t.Error("Predict(nil, live) is not nil")
	}
}

package main

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"k8s.io/client-go/kubernetes"
)

// requests reads the API server's apiserver_request_total for the kinds
// the application holds, summed by verb ("APPLY dry-run" for dry runs).
func requests(ctx context.Context, kube kubernetes.Interface) (map[string]float64, error) {
	b, err := kube.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, l := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(l, "apiserver_request_total{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for _, kv := range strings.Split(labels, ",") {
			k, val, _ := strings.Cut(kv, "=")
			m[k] = strings.Trim(val, `"`)
		}
		if !slices.Contains([]string{"configmaps", "secrets", "services"}, m["resource"]) || m["subresource"] != "" {
			continue
		}
		verb := m["verb"]
		if m["dry_run"] != "" {
			verb += " dry-run"
		}
		out[verb] += v
	}
	return out, nil
}

// since returns the requests made after before, by verb, and their total.
func since(before, after map[string]float64) (map[string]float64, float64) {
	d, total := map[string]float64{}, 0.0
	for k, v := range after {
		if n := v - before[k]; n > 0 {
			d[k] = n
			total += n
		}
	}
	return d, total
}

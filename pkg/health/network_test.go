package health

import "testing"

func TestService(t *testing.T) {
	runCases(t, map[string]testCase{
		"ClusterIP":                        {"service/clusterip.yaml", Healthy, ""},
		"NodePort without status":          {"service/nodeport.yaml", Healthy, ""},
		"ExternalName":                     {"service/externalname.yaml", Healthy, ""},
		"LoadBalancer with an IP":          {"service/loadbalancer-assigned.yaml", Healthy, ""},
		"LoadBalancer with a hostname":     {"service/loadbalancer-hostname.yaml", Healthy, ""},
		"LoadBalancer not yet assigned":    {"service/loadbalancer-unassigned.yaml", Progressing, "waiting for the load balancer's address"},
		"LoadBalancer, empty ingress list": {"service/loadbalancer-empty-list.yaml", Progressing, "waiting for the load balancer's address"},
	})
}

func TestIngress(t *testing.T) {
	runCases(t, map[string]testCase{
		"address assigned":              {"ingress/assigned.yaml", Healthy, ""},
		"no address yet":                {"ingress/unassigned.yaml", Progressing, "waiting for an ingress controller to publish an address"},
		"empty ingress list":            {"ingress/empty-list.yaml", Progressing, "waiting for an ingress controller to publish an address"},
		"no status":                     {"ingress/no-status.yaml", Progressing, "waiting for an ingress controller to publish an address"},
		"extensions/v1beta1 is checked": {"ingress/extensions-assigned.yaml", Healthy, ""},
	})
}

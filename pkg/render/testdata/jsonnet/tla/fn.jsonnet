local k = import '../lib/cm.libsonnet';
function(ns, replicas=1) [
  k.cm('tla') + { metadata+: { namespace: ns }, data: { replicas: std.toString(replicas * 2) } },
]

local k = import '../lib/cm.libsonnet';
[
  k.cm('array-a'),
  null,
  { apiVersion: 'v1', kind: 'ConfigMapList', items: [k.cm('array-b')] },
]

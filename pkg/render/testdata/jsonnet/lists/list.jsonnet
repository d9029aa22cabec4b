local k = import '../lib/cm.libsonnet';
{ apiVersion: 'v1', kind: 'List', items: [k.cm('list-a'), k.cm('list-b')] }

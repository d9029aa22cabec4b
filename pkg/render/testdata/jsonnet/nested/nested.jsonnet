local k = import '../lib/cm.libsonnet';
[k.cm('outer'), [k.cm('inner')]]

local k = import '../lib/cm.libsonnet';
k.cm(std.extVar('name'), {
  env: std.extVar('env'),
  // replicas is bound as code: a number, not a string.
  replicas: std.toString(std.extVar('replicas') + 1),
})

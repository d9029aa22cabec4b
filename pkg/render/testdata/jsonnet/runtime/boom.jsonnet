local k = import '../lib/cm.libsonnet';
k.cm('boom', {
  x: error 'boom',
})

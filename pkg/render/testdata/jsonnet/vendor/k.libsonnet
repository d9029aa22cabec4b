{ cm(name):: (import 'cm.libsonnet').cm(name, { from: 'vendor' }) }

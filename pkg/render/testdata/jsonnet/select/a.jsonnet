(import '../lib/cm.libsonnet').cm('select-a')

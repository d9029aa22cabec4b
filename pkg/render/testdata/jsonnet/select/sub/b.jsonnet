(import '../../lib/cm.libsonnet').cm('select-b')

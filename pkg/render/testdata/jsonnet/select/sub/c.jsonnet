(import '../../lib/cm.libsonnet').cm('select-c')

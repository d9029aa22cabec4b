local k = import 'k.libsonnet';  // from a library path (vendor)
k.cm('vendored') + {
  data+: {
    which: import 'which.libsonnet',  // the last library path wins
    shadow: import 'shadow.libsonnet',  // the importing file's directory wins
    banner: importstr 'banner.txt',
    bytes: std.toString(std.length(importbin 'banner.txt')),
  },
}

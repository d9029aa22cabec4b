local l = import 'lib.libsonnet';
l.svc('generated')

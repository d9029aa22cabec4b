// A ConfigMap, shared by the fixtures (imported with a relative path).
{
  cm(name, data={}):: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: name },
    data: data,
  },
}

// Never rendered on its own: only imported.
{ svc(name):: { apiVersion: 'v1', kind: 'Service', metadata: { name: name }, spec: { ports: [{ port: 80 }] } } }

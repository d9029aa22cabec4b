error 'a .libsonnet file is never rendered'

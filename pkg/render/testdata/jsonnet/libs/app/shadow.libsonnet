'local'

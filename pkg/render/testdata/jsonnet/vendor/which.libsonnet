'vendor'

'vendor2'

"""The entry points and the composition root: the WSGI application, the
server, the command line.  The only package that wires every layer together."""

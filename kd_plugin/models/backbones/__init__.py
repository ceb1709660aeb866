# Registered on import; see the modules of this package.

"""Built-in example strategies; read them as documentation of the strategy API."""

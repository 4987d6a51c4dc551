"""Script model and parsing: YAML file -> typed, resolved ``Script``."""

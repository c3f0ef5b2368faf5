"""Admin config: pydantic models of the YAML file, its loader and its errors."""

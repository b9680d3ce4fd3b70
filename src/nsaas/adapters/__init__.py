"""nsaas."""

"""UI routes, one module per area of the portal."""

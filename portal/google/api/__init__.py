"""Google's HTTP APIs (Calendar v3, the token endpoint): nothing here knows the portal."""

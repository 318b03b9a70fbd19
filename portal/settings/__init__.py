"""A member's own account settings: name, email, time zone and password."""

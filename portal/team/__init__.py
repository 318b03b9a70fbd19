"""A business's team: inviting colleagues, admins, deactivating members, their Google states."""

"""Student Records users: who may sign in to the screens, with which permissions (issue 11)."""

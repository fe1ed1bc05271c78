"""The application shell: home page ("my work"), language switch, audit and calendar pages."""

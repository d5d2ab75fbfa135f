"""The HTTP service: the Flask app, its blueprints and the application layer."""

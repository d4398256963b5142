"""The only home of git and forge effects."""

"""The `launch` command: runs a command as N local workers of one multi_worker cluster.

arguments.py declares its options, launcher.py starts and watches the workers, netns.py gives each
worker its own network namespace (`--netns`).
"""

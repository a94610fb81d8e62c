"""The Mesa agent engine (`run.engine=agent`)."""

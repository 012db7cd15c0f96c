"""llmwalls: which physical wall an LLM workload hits first."""

__version__ = "0.1.0"

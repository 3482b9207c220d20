"""deepseek-kg: a knowledge graph of the essay "DeepSeeking the Truth" (The Baffler, 2025)."""
__version__ = "0.1.0"

"""dnws-bot: a bilingual study bot for 38 North's article on North Korea's de facto nuclear status."""

__version__ = "0.1.0"

"""The rule-check stage: rule kinds (one module each in `kinds/`), rules and packs, and the engine that runs
them over the loaded tables and writes the findings."""

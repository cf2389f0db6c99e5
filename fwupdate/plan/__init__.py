"""The pure planner: inventory + catalog + policy in, plan out. No I/O."""

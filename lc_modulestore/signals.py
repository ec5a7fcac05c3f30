"""Signal receivers: Learning Core publish/draft events trigger compiles (wired by the compiler work)."""

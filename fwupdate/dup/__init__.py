"""Dell Update Packages: inspect, verify and safely extract .EXE and .BIN DUPs."""

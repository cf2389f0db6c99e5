"""The randomized campaign (docs/guarantees.md): seeded nights over simulated fleets of every
generation and delivery path, with faults, kills and operator mistakes, each judged by the
independent checker (fwupdate.check).  Like fwupdate.demo it starts the simulator; nothing in
fwupdate imports it."""

from fwupdate.cli.main import run

run()

from incentives.cli.app import main

main()
